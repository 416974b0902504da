"""Concessions and approvals as stored: a concession recorded (waiting for its approvers, or at once
where the playbook asks for none), a customer-facing RCA held for its approvers, and a decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.database import session_scope
from assistant.domain.approvals import ApprovalState, Subject
from assistant.domain.events import EventKind
from assistant.domain.sentences import N_
from assistant.models import Approval, Concession, Escalation, utcnow
from assistant.services import customer
from assistant.services.events import record_event


@dataclass(frozen=True)
class ConcessionInput:
    kind: str
    value: str
    amount: int | None
    currency: str | None
    reason: str


@dataclass(frozen=True)
class Approvers:
    """Who decides a step (Slack user ids), and the groups they came from (to name them)."""

    people: Sequence[str]
    groups: Sequence[str] = ()


def ask(
    session: Session, case_id: int, subject: Subject, subject_id: int, actor_id: str, by: Approvers
) -> Approval:
    approval = Approval(
        escalation_id=case_id,
        subject=subject.value,
        subject_id=subject_id,
        approvers=list(by.people),
        groups=list(by.groups),
        requested_by=actor_id,
    )
    session.add(approval)
    session.flush()
    return approval


def record_concession(
    session: Session, case: Escalation, concession: ConcessionInput, actor_id: str, by: Approvers | None
) -> tuple[Concession, Approval | None]:
    """In the caller's transaction: the concession, waiting for `by` (None: it stands at once)."""
    row = Concession(
        escalation_id=case.id or 0,
        kind=concession.kind,
        value=concession.value,
        amount=concession.amount,
        currency=concession.currency,
        reason=concession.reason,
        requested_by=actor_id,
        state=ApprovalState.PENDING.value if by else ApprovalState.APPROVED.value,
    )
    session.add(row)
    session.flush()
    approval = ask(session, case.id or 0, Subject.CONCESSION, row.id or 0, actor_id, by) if by else None
    record_event(
        session, case.id or 0, EventKind.CONCESSION_REQUESTED, actor_id,
        concession_id=row.id, concession_kind=row.kind, value=row.value, amount=row.amount,
        currency=row.currency,
        approval_id=approval.id if approval else None,
    )  # fmt: skip
    return row, approval


def hold_customer_rca(
    session: Session, case_id: int, rca_id: int, actor_id: str, by: Approvers, *, after_id: int
) -> Approval:
    """The customer-facing RCA just queued (the messages after `after_id`) waits for `by`, in the
    caller's transaction. An earlier RCA still waiting is superseded: its messages never go."""
    superseded = list(
        session.exec(
            select(Approval).where(
                Approval.escalation_id == case_id,
                Approval.subject == Subject.CUSTOMER_RCA.value,
                Approval.state == ApprovalState.PENDING.value,
            )
        )
    )
    for old in superseded:
        old.state = ApprovalState.SUPERSEDED.value
        session.add(old)
        customer.release(session, old.id or 0, approved=False)
    approval = ask(session, case_id, Subject.CUSTOMER_RCA, rca_id, actor_id, by)
    customer.hold(session, case_id, after_id, approval.id or 0)
    record_event(
        session, case_id, EventKind.APPROVAL_REQUESTED, actor_id,
        approval_id=approval.id, subject=Subject.CUSTOMER_RCA.value, approvers=list(by.people),
        supersedes=[old.id for old in superseded],
    )  # fmt: skip
    return approval


@dataclass(frozen=True)
class Decided:
    approval: Approval
    case: Escalation


def decide(
    engine: sa.Engine, approval_id: int, *, actor_id: str, approved: bool, reason: str
) -> Decided | str:
    """The decision, once (a sentence id says why not: decided already, or not theirs to decide).
    A concession stands or not; a held RCA goes to the customer or is withdrawn."""
    with session_scope(engine) as session:
        approval = session.exec(select(Approval).where(Approval.id == approval_id).with_for_update()).first()
        if approval is None or approval.state != ApprovalState.PENDING:
            return N_("approvals.decided_already")
        if actor_id not in approval.approvers:
            return N_("approvals.only_approvers")
        state = ApprovalState.APPROVED if approved else ApprovalState.REJECTED
        approval.state, approval.decided_by, approval.decided_at = state.value, actor_id, utcnow()
        approval.reason = reason or None
        session.add(approval)
        if approval.subject == Subject.CONCESSION:
            session.execute(
                sa.update(Concession)
                .where(col(Concession.id) == approval.subject_id)
                .values(state=state.value)
            )
        else:
            customer.release(session, approval.id or 0, approved=approved)
        record_event(
            session, approval.escalation_id, EventKind.APPROVAL_DECIDED, actor_id,
            approval_id=approval.id, subject=approval.subject, approved=approved, reason=reason,
        )  # fmt: skip
        case = session.exec(select(Escalation).where(Escalation.id == approval.escalation_id)).one()
        return Decided(approval, case)


def approval(engine: sa.Engine, approval_id: int) -> Approval | None:
    with Session(engine) as session:
        return session.get(Approval, approval_id)


def concession(engine: sa.Engine, concession_id: int) -> Concession | None:
    with Session(engine) as session:
        return session.get(Concession, concession_id)


def concessions_of(engine: sa.Engine, case_id: int) -> list[tuple[Concession, Approval | None]]:
    """The case's concessions, oldest first, each with its approval (if one was asked for)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Concession, Approval)
            .join(
                Approval,
                sa.and_(
                    col(Approval.subject) == Subject.CONCESSION.value,
                    col(Approval.subject_id) == col(Concession.id),
                ),
                isouter=True,
            )
            .where(Concession.escalation_id == case_id)
            .order_by(col(Concession.id))
        )
        return [(c, a) for c, a in rows]


def pending(engine: sa.Engine, case_id: int, subject: Subject) -> Approval | None:
    """The case's latest approval of `subject` still waiting for a decision."""
    with Session(engine) as session:
        return session.exec(
            select(Approval)
            .where(
                Approval.escalation_id == case_id,
                Approval.subject == subject.value,
                Approval.state == ApprovalState.PENDING.value,
            )
            .order_by(col(Approval.id).desc())
        ).first()


def granted_concessions(engine: sa.Engine, case_ids: Sequence[int]) -> dict[int, list[Concession]]:
    """The approved concessions of these cases, by case."""
    found: dict[int, list[Concession]] = {}
    if not case_ids:
        return found
    with Session(engine) as session:
        for row in session.exec(
            select(Concession)
            .where(
                col(Concession.escalation_id).in_(list(case_ids)),
                Concession.state == ApprovalState.APPROVED.value,
            )
            .order_by(col(Concession.id))
        ):
            found.setdefault(row.escalation_id, []).append(row)
    return found
