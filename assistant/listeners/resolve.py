"""Resolve: the owner declares resolution; the feed is told; the root-cause analysis becomes due."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from assistant.content.i18n import N_, _, speaking
from assistant.domain.communications import Purpose, resolution_draft
from assistant.listeners.case_flow import (
    Answers,
    FlowSpec,
    FlowStart,
    Submission,
    best_effort,
    open_case_modal,
)
from assistant.listeners.customer_side import (
    SEND_BY,
    SENT_AT,
    SENT_HOW,
    audience_of,
    outgoing_from,
    route_problem,
    sending_note,
)
from assistant.models import Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import Message, render_message
from assistant.services import lifecycle

# flows/resolve.yml
FLOW = "resolve"


class Field(StrEnum):
    SUMMARY = "resolution_summary"
    FIX = "fix"
    CONFIRMED = "customer_confirmed"
    EXEC_CONTACT = "executive_contact"
    EXEC_CONTACT_REASON = "executive_contact_reason"
    NOTICE = "customer_notice"
    SEND_BY = SEND_BY
    SENT_HOW = SENT_HOW
    SENT_AT = SENT_AT


NOTICE_NEEDED = N_("resolve.write_notice_customer_receives")

CONFIRMATIONS = [
    {"value": "yes", "label": N_("resolve.yes_customer_confirmed")},
    {"value": "pending", "label": N_("resolve.not_yet_confirmation_pending")},
]
# A business case's executive contact, still owed at resolution: made (recorded now), or not needed
# (cancelled, with its reason on the timeline).
EXEC_CONTACT_OUTCOMES = [
    {"value": lifecycle.ExecContactOutcome.MADE.value, "label": N_("resolve.executive_contacted_customer")},
    {
        "value": lifecycle.ExecContactOutcome.NOT_NEEDED.value,
        "label": N_("resolve.executive_contact_not_needed"),
    },
]


def open_flow(start: FlowStart) -> None:
    components = start.components
    confirmations = [{**option, "label": _(option["label"])} for option in CONFIRMATIONS]
    audience = audience_of(components, start.case, start.actor_id)
    writer = components.people.cached(start.actor_id)
    with speaking(audience.locale):
        draft = _(
            resolution_draft(
                account=start.case.account_name,
                summary=start.case.summary,
                owner_name=writer.name if writer else "",
            )
        )
    owed = start.case.exec_contact_due_at is not None and start.case.exec_contact_done_at is None
    open_case_modal(
        start,
        "resolve_modal.json.j2",
        Field,
        confirmations=confirmations,
        exec_contact=(
            {
                "due_at": start.case.exec_contact_due_at,
                "outcomes": [{**o, "label": _(o["label"])} for o in EXEC_CONTACT_OUTCOMES],
            }
            if owed
            else None
        ),
        draft=UserText(draft),
        **audience.send_by(components, start.case, start.actor_id, Purpose.RESOLUTION),
    )


def check(sub: Submission, answers: Answers) -> dict[str, str]:
    errors = route_problem(answers, audience_of(sub.components, sub.case, sub.actor), sub.case)
    if "…" in answers.text(Field.NOTICE):
        errors[Field.NOTICE.value] = _(NOTICE_NEEDED)
    owed = sub.case.exec_contact_due_at is not None and sub.case.exec_contact_done_at is None
    if owed and Field.EXEC_CONTACT.value not in answers.view["state"]["values"]:
        # Opened before the case owed it (classified as business since): never dropped silently.
        errors[Field.SUMMARY.value] = _("resolve.form_older_than_executive_contact")
    if answers.get(Field.EXEC_CONTACT) == lifecycle.ExecContactOutcome.NOT_NEEDED and not answers.text(
        Field.EXEC_CONTACT_REASON
    ):
        errors[Field.EXEC_CONTACT_REASON.value] = _("resolve.say_why_executive_contact_not_needed")
    return errors


def apply(sub: Submission, answers: Answers) -> Escalation:
    components = sub.components
    return lifecycle.resolve(
        components.engine,
        sub.ref.case_id,
        rules=sub.rules,
        team_answers=answers.teams(),
        actor_id=sub.actor,
        summary=answers.text(Field.SUMMARY),
        fix=answers.text(Field.FIX),
        customer_confirmed=answers.get(Field.CONFIRMED) == "yes",
        rca_due_at=components.content.practice.rca_deadline(
            datetime.now(UTC), components.settings.rca_due_business_days
        ),
        outgoing=outgoing_from(answers, Field.NOTICE),
        policy=components.reminder_policy,
        exec_contact=exec_contact_outcome(answers),
    )


def exec_contact_outcome(answers: Answers) -> lifecycle.ExecContact | None:
    """What the owner said of an executive contact still owed (None: it was not asked)."""
    chosen = answers.get(Field.EXEC_CONTACT)
    if chosen not in {o.value for o in lifecycle.ExecContactOutcome}:
        return None
    return lifecycle.ExecContact(
        lifecycle.ExecContactOutcome(chosen), answers.text(Field.EXEC_CONTACT_REASON)
    )


def announce(sub: Submission, answers: Answers, case: Escalation) -> Message:
    return render_message(
        "resolved.json.j2",
        case=case_context(case),
        actor=sub.actor,
        summary=UserText(answers.text(Field.SUMMARY)),
        fix=UserText(answers.text(Field.FIX)),
        confirmed=answers.get(Field.CONFIRMED) == "yes",
        rca_due=case.rca_due_at,
        notice=UserText(answers.text(Field.NOTICE)),
        sending=sending_note(sub.components, case, answers),
    )


def tell_the_feed(sub: Submission, answers: Answers, case: Escalation) -> None:
    notice = render_message(
        "resolved_feed.json.j2", case=case_context(case), summary=UserText(answers.text(Field.SUMMARY))
    )
    components = sub.components
    best_effort(
        components,
        case,
        "feed_resolution_notice",
        lambda: components.provisioner.channel.post_to_feed(notice),
    )


SPEC = FlowSpec(
    flow=FLOW,
    refusal_field=Field.SUMMARY,
    check=check,
    apply=apply,
    announce=announce,
    then=tell_the_feed,
)
