"""Owner actions on a case: each one transaction that re-checks the state under a row lock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.content.i18n import _
from assistant.database import session_scope
from assistant.domain.action_plan import PlanChange, StepEdit
from assistant.domain.communications import Purpose, Route
from assistant.domain.events import EventKind
from assistant.domain.lifecycle import (
    FlowRules,
    ack_due_after_handover,
    close_refusal,
    executive_contact_due,
    state_refusal,
)
from assistant.domain.practice import Category, EscalationKind, Practice, Severity
from assistant.domain.reminders import ReminderPolicy
from assistant.domain.status import Status
from assistant.models import ActionItem, Escalation, RootCauseAnalysis, StatusUpdate, utcnow
from assistant.services import approvals
from assistant.services.action_items import STEP
from assistant.services.approvals import Approvers, ConcessionInput
from assistant.services.cases import bring_in_sponsor
from assistant.services.customer import Outgoing, last_communication_id, settle_promise, tell_customer
from assistant.services.events import record_event
from assistant.services.reminders import sync_reminders
from assistant.services.sponsorship import enrol

DEFAULT_POLICY = ReminderPolicy()


class ActionRefused(Exception):
    """The case's state does not allow the action; the message says why and what to do."""


def _act(
    engine: sa.Engine,
    case_id: int,
    rules: FlowRules,
    actor_id: str,
    event: EventKind,
    change: Callable[[Session, Escalation], dict[str, Any]],
    policy: ReminderPolicy = DEFAULT_POLICY,
    *,
    to: Status | None = None,
    team_answers: Mapping[str, Any] | None = None,
) -> Escalation:
    """One flow's change: the state re-checked under a row lock, the change, the new status (`to`),
    the reminders, and the timeline's event (with the answers to a team's own questions)."""
    with session_scope(engine) as session:
        case = session.exec(select(Escalation).where(Escalation.id == case_id).with_for_update()).one()
        refusal = state_refusal(case.key, case.status, rules)
        if refusal:
            raise ActionRefused(_(refusal))
        data = change(session, case)
        if team_answers:
            data |= {"flow": rules.name, "team_answers": dict(team_answers)}
        if to is not None:
            case.status = to
        case.updated_at = utcnow()
        session.add(case)
        sync_reminders(session, case, policy)
        record_event(session, case_id, event, actor_id, **data)
    return case


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def acknowledge(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    next_update_at: datetime,
    customer_message: str,
    outgoing: Outgoing | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> Escalation:
    """The owner takes the case. The acknowledgement promise (ack_due_at) is kept when the customer
    hears from them (`outgoing`: by default, the owner sent the message themselves, now)."""
    outgoing = outgoing or Outgoing(Route.MYSELF, customer_message)

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        case.acknowledged_at = utcnow()
        case.acknowledged_by = actor_id
        case.next_update_due_at = next_update_at
        case.customer_acknowledgement = customer_message
        on_time = case.ack_due_at is None or case.acknowledged_at <= case.ack_due_at
        tell_customer(
            session,
            case,
            Purpose.ACKNOWLEDGEMENT,
            outgoing,
            actor_id=actor_id,
            keeps_promise_at=case.ack_due_at or case.acknowledged_at,
        )
        return {"next_update_due_at": _iso(next_update_at), "on_time": on_time, "route": outgoing.route.value}

    return _act(
        engine,
        case_id,
        rules,
        actor_id,
        EventKind.ACKNOWLEDGED,
        change,
        policy,
        to=Status.ACKNOWLEDGED,
        team_answers=team_answers,
    )


@dataclass(frozen=True)
class Classification:
    category: Category
    kind: EscalationKind
    severity: Severity
    resolving_team: str
    reason: str
    # The affected services as the form had them (None: the form did not ask; they stand).
    services: tuple[str, ...] | None = None
    # The internal tags as the form had them (None: the form did not ask; they stand).
    tags: tuple[str, ...] | None = None


def classify(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    classification: Classification,
    practice: Practice,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> Escalation:
    def change(session: Session, case: Escalation) -> dict[str, Any]:
        before = {
            "category": case.category.value,
            "severity": case.severity.value,
            "kind": case.kind.value if case.kind else None,
            "resolving_team": case.resolving_team,
            "services": list(case.affected_services or []),
            "tags": list(case.tags or []),
        }
        sponsor_was_invited = practice.playbook(case.category).invites_sponsor
        case.category = classification.category
        playbook = practice.playbook(case.category)
        sponsor = None if sponsor_was_invited else bring_in_sponsor(session, case, playbook)
        case.kind = classification.kind
        case.severity = classification.severity
        case.resolving_team = classification.resolving_team
        if classification.services is not None:
            case.affected_services = list(classification.services)
        if classification.tags is not None:
            case.tags = list(classification.tags)
        # The promises follow the category: only some (the seed: business) owe the customer an
        # executive's call.
        due = executive_contact_due(playbook, utcnow())
        if due is not None and case.exec_contact_due_at is None:
            case.exec_contact_due_at = due
        elif due is None and case.exec_contact_done_at is None:
            case.exec_contact_due_at = None
        after = {
            "category": case.category.value,
            "severity": case.severity.value,
            "kind": case.kind.value,
            "resolving_team": case.resolving_team,
            "services": list(case.affected_services or []),
            "tags": list(case.tags or []),
        }
        data: dict[str, Any] = {"before": before, "after": after, "reason": classification.reason}
        if sponsor:
            data["sponsor_invited"] = sponsor
        return data

    return _act(
        engine, case_id, rules, actor_id, EventKind.CLASSIFIED, change, policy, team_answers=team_answers
    )


def post_update(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    internal_text: str,
    customer_text: str,
    next_update_at: datetime,
    outgoing: Outgoing | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> Escalation:
    """A status update. It keeps the outstanding promise only when the customer hears it
    (`outgoing`; by default the owner sent it themselves, now). An internal-only update keeps
    no promise and makes none: the promised time stands."""
    outgoing = outgoing or Outgoing(Route.MYSELF, customer_text)
    internal_only = outgoing.route == Route.INTERNAL

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        now = utcnow()
        promised = case.next_update_due_at
        session.add(
            StatusUpdate(
                escalation_id=case_id,
                at=now,
                author_id=actor_id,
                internal_text=internal_text,
                customer_text="" if internal_only else customer_text,
                next_update_due_at=promised if internal_only else next_update_at,
            )
        )
        if internal_only:
            return {"promised": _iso(promised), "next_update_due_at": _iso(promised), "internal_only": True}
        case.next_update_due_at = next_update_at
        tell_customer(session, case, Purpose.UPDATE, outgoing, actor_id=actor_id, keeps_promise_at=promised)
        return {
            "promised": _iso(promised),
            "next_update_due_at": _iso(next_update_at),
            "route": outgoing.route.value,
        }

    return _act(
        engine, case_id, rules, actor_id, EventKind.UPDATE_POSTED, change, policy, team_answers=team_answers
    )


def reassign(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    new_owner_id: str,
    reason: str,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
    fresh_ack_due_at: datetime | None = None,
) -> Escalation:
    """`fresh_ack_due_at`: when the new owner must acknowledge, given a whole window from now (it
    applies only to a case not acknowledged yet: ack_due_after_handover)."""

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        if new_owner_id == case.owner_id:
            raise ActionRefused(_("lifecycle.person_already_owns_case"))
        previous = case.owner_id
        # The previous owner stays involved, as a participant.
        case.stakeholder_ids = [
            s for s in dict.fromkeys([*case.stakeholder_ids, previous]) if s != new_owner_id
        ]
        case.owner_id = new_owner_id
        data: dict[str, Any] = {"from": previous, "to": new_owner_id, "reason": reason}
        if fresh_ack_due_at is not None:
            due = ack_due_after_handover(
                case.ack_due_at, acknowledged=case.acknowledged_at is not None, fresh=fresh_ack_due_at
            )
            if due != case.ack_due_at:
                case.ack_due_at = due
                data["ack_due_at"] = _iso(due)
        return data

    return _act(
        engine, case_id, rules, actor_id, EventKind.REASSIGNED, change, policy, team_answers=team_answers
    )


class ExecContactOutcome(StrEnum):
    MADE = "made"
    NOT_NEEDED = "not_needed"


@dataclass(frozen=True)
class ExecContact:
    """A business case's executive contact, still owed when it is resolved: made, or cancelled
    (`reason` on the timeline). Resolving never drops the promise silently."""

    outcome: ExecContactOutcome
    reason: str = ""


def resolve(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    summary: str,
    fix: str,
    customer_confirmed: bool,
    rca_due_at: datetime,
    outgoing: Outgoing | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
    exec_contact: ExecContact | None = None,
) -> Escalation:
    """Resolved. The resolution notice (`outgoing`; by default sent by the owner, now) keeps the
    pending update promise when the customer has it; an executive contact still owed is made or
    cancelled with its reason (`exec_contact`), each on the timeline."""
    outgoing = outgoing or Outgoing(Route.MYSELF, "")

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        case.resolved_at = utcnow()
        data: dict[str, Any] = {"customer_confirmed": customer_confirmed, "rca_due_at": _iso(rca_due_at)}
        if exec_contact is not None and case.exec_contact_due_at and case.exec_contact_done_at is None:
            settle_exec_contact(session, case, actor_id, exec_contact)
        tell_customer(
            session,
            case,
            Purpose.RESOLUTION,
            outgoing,
            actor_id=actor_id,
            keeps_promise_at=case.next_update_due_at,
        )
        case.resolution_summary = summary
        case.resolution_fix = fix
        case.customer_confirmed = customer_confirmed
        case.rca_due_at = rca_due_at
        case.next_update_due_at = None
        if case.task_force_at is not None:
            # The owner's declaration of resolution stands the task force down.
            record_event(session, case.id or 0, EventKind.TASK_FORCE_STOOD_DOWN, actor_id)
        return data

    return _act(
        engine,
        case_id,
        rules,
        actor_id,
        EventKind.RESOLVED,
        change,
        policy,
        to=Status.RESOLVED,
        team_answers=team_answers,
    )


@dataclass(frozen=True)
class ActionItemInput:
    kind: str  # corrective | preventive
    description: str
    owner_id: str
    due_on: date


@dataclass(frozen=True)
class RcaInput:
    what_happened: str
    root_cause: str
    contributing_factors: str
    customer_text: str
    items: Sequence[ActionItemInput]
    cause_area: str | None = None


def record_rca(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    rca: RcaInput,
    outgoing: Outgoing | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
    approval_by: Approvers | None = None,
) -> Escalation:
    """The RCA, with its action items; the customer-facing part goes to the customer (`outgoing`),
    once `approval_by` approve it where the playbook asks for an approval."""
    outgoing = outgoing or Outgoing(Route.MYSELF, rca.customer_text)

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        row = RootCauseAnalysis(
            escalation_id=case_id,
            author_id=actor_id,
            what_happened=rca.what_happened,
            root_cause=rca.root_cause,
            contributing_factors=rca.contributing_factors,
            customer_text=rca.customer_text,
            cause_area=rca.cause_area,
        )
        session.add(row)
        session.flush()
        for item in rca.items:
            session.add(
                ActionItem(
                    escalation_id=case_id,
                    rca_id=row.id,
                    kind=item.kind,
                    description=item.description,
                    owner_id=item.owner_id,
                    due_on=item.due_on,
                )
            )
        before = last_communication_id(session, case_id)
        tell_customer(session, case, Purpose.RCA, outgoing, actor_id=actor_id, keeps_promise_at=None)
        held = {}
        if approval_by is not None and outgoing.route not in (Route.INTERNAL, Route.MYSELF):
            approval = approvals.hold_customer_rca(
                session, case_id, row.id or 0, actor_id, approval_by, after_id=before
            )
            held = {"approval_id": approval.id}
        return {"rca_id": row.id, "action_items": len(rca.items), "cause_area": rca.cause_area, **held}

    return _act(
        engine, case_id, rules, actor_id, EventKind.RCA_RECORDED, change, policy, team_answers=team_answers
    )


def latest_rca(engine: sa.Engine, case_id: int) -> tuple[RootCauseAnalysis, list[ActionItem]] | None:
    with Session(engine) as session:
        rca = session.exec(
            select(RootCauseAnalysis)
            .where(RootCauseAnalysis.escalation_id == case_id)
            .order_by(col(RootCauseAnalysis.id).desc())
        ).first()
        if rca is None:
            return None
        items = list(
            session.exec(select(ActionItem).where(ActionItem.rca_id == rca.id).order_by(col(ActionItem.id)))
        )
        return rca, items


@dataclass(frozen=True)
class ClosingChecklist:
    """The resolution checklist as the closer answered it (on the closed event)."""

    service_confirmed: bool = False
    records_closed: Sequence[str] = ()
    rca_shared_by: str | None = None


@dataclass(frozen=True)
class HandlingReview:
    """How the case was handled, apart from the RCA's technical cause: what could have gone
    better, and where an improvement would prevent escalations like it (the quarterly review)."""

    handled_better: str
    area: str  # product, training, process, or none
    improvement: str = ""


def close(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    no_rca_reason: str | None,
    sponsor_id: str | None,
    survey: Outgoing | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    practice: Practice,
    team_answers: Mapping[str, Any] | None = None,
    checklist: ClosingChecklist | None = None,
    review: HandlingReview | None = None,
) -> Escalation:
    """Close the case; with `sponsor_id`, enrol its account in executive sponsorship with that sponsor;
    with `survey`, the customer is asked for their satisfaction (queued with the close).
    `practice`: whose categories may close without a root-cause analysis."""

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        has_rca = (
            session.exec(
                select(RootCauseAnalysis.id).where(RootCauseAnalysis.escalation_id == case_id)
            ).first()
            is not None
        )
        if not has_rca:
            refusal = close_refusal(case.key, practice.playbook(case.category), has_rca)
            if refusal:
                raise ActionRefused(_(refusal))
            if not no_rca_reason:
                raise ActionRefused(_("lifecycle.record_root_cause_analysis_say_why"))
        case.closed_at = utcnow()
        case.no_rca_reason = None if has_rca else no_rca_reason
        case.sponsorship_requested = sponsor_id is not None
        case.next_update_due_at = None
        if sponsor_id is not None:
            enrol(
                session,
                account=case.account_name,
                sponsor_id=sponsor_id,
                case_id=case_id,
                enrolled_by=actor_id,
            )
        if survey is not None:
            tell_customer(session, case, Purpose.SURVEY, survey, actor_id=actor_id, keeps_promise_at=None)
        data: dict[str, Any] = {
            "with_rca": has_rca,
            "no_rca_reason": case.no_rca_reason,
            "sponsor_id": sponsor_id,
        }
        if checklist is not None:
            if checklist.service_confirmed:
                case.customer_confirmed = True
            data["checklist"] = {
                "service_confirmed": bool(case.customer_confirmed),
                "records_closed": list(checklist.records_closed),
                "rca_shared_by": checklist.rca_shared_by if has_rca else None,
            }
        if review is not None:
            data["review"] = {
                "handled_better": review.handled_better,
                "area": review.area,
                "improvement": review.improvement,
            }
        return data

    return _act(
        engine,
        case_id,
        rules,
        actor_id,
        EventKind.CLOSED,
        change,
        policy,
        to=Status.CLOSED,
        team_answers=team_answers,
    )


def reopen(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    reason: str,
    next_update_at: datetime,
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> Escalation:
    def change(session: Session, case: Escalation) -> dict[str, Any]:
        was = case.status.value
        case.resolved_at = None
        case.closed_at = None
        case.next_update_due_at = next_update_at
        return {"from": was, "reason": reason, "next_update_due_at": _iso(next_update_at)}

    return _act(
        engine,
        case_id,
        rules,
        actor_id,
        EventKind.REOPENED,
        change,
        policy,
        to=Status.ACKNOWLEDGED,
        team_answers=team_answers,
    )


def updates_of(engine: sa.Engine, case_id: int) -> list[StatusUpdate]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(StatusUpdate)
                .where(StatusUpdate.escalation_id == case_id)
                .order_by(col(StatusUpdate.id))
            )
        )


def case_in_channel(engine: sa.Engine, channel_id: str) -> Escalation | None:
    with Session(engine) as session:
        return session.exec(select(Escalation).where(Escalation.channel_id == channel_id)).first()


def settle_exec_contact(session: Session, case: Escalation, actor_id: str, outcome: ExecContact) -> None:
    """An executive contact still owed, made now (the promise kept or not) or cancelled."""
    if outcome.outcome == ExecContactOutcome.MADE:
        case.exec_contact_done_at = utcnow()
        kept = case.exec_contact_due_at is None or case.exec_contact_done_at <= case.exec_contact_due_at
        settle_promise(case, kept)
        record_event(session, case.id or 0, EventKind.EXECUTIVE_CONTACT_MADE, actor_id, promise_kept=kept)
    else:
        # No longer owed: a reopening does not bring back its reminders (the event keeps its time).
        record_event(
            session,
            case.id or 0,
            EventKind.EXECUTIVE_CONTACT_CANCELLED,
            actor_id,
            reason=outcome.reason,
            was_due_at=_iso(case.exec_contact_due_at),
        )
        case.exec_contact_due_at = None


def call_task_force(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    reason: str,
    groups: Sequence[str],
    policy: ReminderPolicy = DEFAULT_POLICY,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> Escalation:
    """The task force called (stage 3): on the timeline with why and which groups; its reminder stops."""

    def change(session: Session, case: Escalation) -> dict[str, Any]:
        again = case.task_force_at is not None
        case.task_force_at = utcnow()
        return {"reason": reason, "groups": list(groups), "again": again}

    return _act(
        engine,
        case_id,
        rules,
        actor_id,
        EventKind.TASK_FORCE_CALLED,
        change,
        policy,
        team_answers=team_answers,
    )


def change_plan(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    change: PlanChange,
    why: str = "",
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> tuple[Escalation, PlanChange]:
    """The action plan as the form left it: steps added, changed, ticked done or taken off, each on
    the timeline; returns the case and what was applied. A changed due time is a new promise
    (reminded and escalated afresh). A step done or taken off meanwhile by someone else is left as
    they left it, and only the parts the form changed are written."""
    with session_scope(engine) as session:
        case = session.exec(select(Escalation).where(Escalation.id == case_id).with_for_update()).one()
        refusal = state_refusal(case.key, case.status, rules)
        if refusal:
            raise ActionRefused(_(refusal))
        now = utcnow()
        # Why, and a team's own answers, beside each change.
        said: dict[str, Any] = {"why": why} if why else {}
        if team_answers:
            said |= {"flow": rules.name, "team_answers": dict(team_answers)}
        ids = [edit.step_id for edit in change.edits]
        open_steps = {
            step.id: step
            for step in session.exec(
                select(ActionItem).where(
                    col(ActionItem.id).in_(ids),
                    ActionItem.escalation_id == case_id,
                    col(ActionItem.rca_id).is_(None),
                    col(ActionItem.done_at).is_(None),
                )
            )
        }
        applied: list[StepEdit] = []
        for edit in change.edits:
            step = open_steps.get(edit.step_id)
            if step is None or not edit.matters:
                continue
            applied.append(edit)
            if edit.after is None:
                record_event(
                    session, case_id, EventKind.PLAN_STEP_REMOVED, actor_id,
                    item_id=step.id, description=step.description, **said,
                )  # fmt: skip
                session.delete(step)
                continue
            if edit.changes:
                if "text" in edit.changes:
                    step.description = edit.after.description
                if "owner" in edit.changes:
                    step.owner_id = edit.after.owner_id
                if "due" in edit.changes:
                    step.due_at, step.due_on = edit.after.due_at, edit.after.due_at.date()
                    step.reminded_at = step.escalated_at = None
                record_event(
                    session, case_id, EventKind.PLAN_STEP_CHANGED, actor_id,
                    item_id=step.id, description=step.description, **edit.changes, **said,
                )  # fmt: skip
            if edit.done:
                step.done_at, step.done_by = now, actor_id
                record_event(session, case_id, EventKind.ACTION_ITEM_DONE, actor_id, item_id=step.id)
            session.add(step)
        for added in change.added:
            row = ActionItem(
                escalation_id=case_id,
                kind=STEP,
                description=added.description,
                owner_id=added.owner_id,
                due_on=added.due_at.date(),
                due_at=added.due_at,
            )
            session.add(row)
            session.flush()
            record_event(
                session, case_id, EventKind.PLAN_STEP_ADDED, actor_id,
                item_id=row.id, description=added.description, owner=added.owner_id,
                due=added.due_at.isoformat(), **said,
            )  # fmt: skip
        case.updated_at = now
        session.add(case)
    return case, PlanChange(change.added, tuple(applied))


def record_concession(
    engine: sa.Engine,
    case_id: int,
    *,
    actor_id: str,
    concession: ConcessionInput,
    approval_by: Approvers | None,
    rules: FlowRules,
    team_answers: Mapping[str, Any] | None = None,
) -> tuple[Escalation, int | None]:
    """A concession to the customer, waiting for `approval_by` (None: it stands at once); returns
    the case and the approval's id, if one was asked for."""
    with session_scope(engine) as session:
        case = session.exec(select(Escalation).where(Escalation.id == case_id).with_for_update()).one()
        refusal = state_refusal(case.key, case.status, rules)
        if refusal:
            raise ActionRefused(_(refusal))
        _row, approval = approvals.record_concession(session, case, concession, actor_id, approval_by)
        if team_answers:
            record_event(
                session, case_id, EventKind.QUESTIONS_ANSWERED, actor_id,
                flow=rules.name, team_answers=dict(team_answers),
            )  # fmt: skip
        case.updated_at = utcnow()
        session.add(case)
    return case, approval.id if approval else None


def confirm_service(
    engine: sa.Engine, case_id: int, *, actor_id: str, policy: ReminderPolicy = DEFAULT_POLICY
) -> Escalation:
    """The customer confirmed they can use the service again: the follow-up stops (once)."""
    with session_scope(engine) as session:
        case = session.exec(select(Escalation).where(Escalation.id == case_id).with_for_update()).one()
        if not case.customer_confirmed:
            case.customer_confirmed = True
            session.add(case)
            sync_reminders(session, case, policy)
            record_event(session, case_id, EventKind.CUSTOMER_CONFIRMED, actor_id)
    return case


def mark_exec_contact(
    engine: sa.Engine, case_id: int, *, actor_id: str, policy: ReminderPolicy = DEFAULT_POLICY
) -> Escalation:
    """A business case's executive contact is made: its reminders stop."""
    with session_scope(engine) as session:
        case = session.exec(select(Escalation).where(Escalation.id == case_id).with_for_update()).one()
        if case.exec_contact_done_at is None:
            case.exec_contact_done_at = utcnow()
            data = {}
            if case.exec_contact_due_at is not None:
                data["promise_kept"] = case.exec_contact_done_at <= case.exec_contact_due_at
                settle_promise(case, data["promise_kept"])
            session.add(case)
            sync_reminders(session, case, policy)
            record_event(session, case_id, EventKind.EXECUTIVE_CONTACT_MADE, actor_id, **data)
    return case
