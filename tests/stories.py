"""Cases brought to a given point the way people would get them there (or, in bulk, stored directly)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from assistant.content.registry import installed
from assistant.domain.intake import ValidIntake
from assistant.domain.reminders import ReminderKind
from assistant.ids import CaseAction
from assistant.models import Escalation, Reminder
from assistant.services.cases import open_case
from tests.harness import (
    CSM,
    OWNER,
    FlowButton,
    Harness,
    closing_checklist,
    exec_contact_made,
    in_hours,
    wait_for,
)


def acknowledged(harness: Harness, **intake: object) -> Escalation:
    case = harness.escalate(CSM, **intake)
    view = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view, next_update=in_hours(2), customer_message="On it.")
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the acknowledgement")
    return harness.case(case.id)


def resolved(harness: Harness, **intake: object) -> Escalation:
    case = acknowledged(harness, **intake)
    view = harness.open_flow(OWNER, case, FlowButton.RESOLVE)
    harness.submit(
        OWNER,
        view,
        resolution_summary="Fixed.",
        fix="Restarted.",
        customer_confirmed="pending",
        customer_notice="Your service is back.",
        **exec_contact_made(harness.workspace.views[view]),
    )
    wait_for(lambda: harness.case(case.id).status == "resolved", what="the resolution")
    return harness.case(case.id)


def closed_with_sponsor(harness: Harness, *, sponsor: str) -> Escalation:
    """A business case an executive took part in, closed with Acme enrolled in sponsorship."""
    case = resolved(harness, category="business")
    view = harness.open_flow(OWNER, case, FlowButton.CLOSE)
    harness.submit(
        OWNER,
        view,
        no_rca_reason="Commercial settlement.",
        sponsorship=["enrol"],
        sponsor=sponsor,
        **closing_checklist(harness.workspace.views[view]),
    )
    wait_for(lambda: harness.case(case.id).status == "closed", what="the closing")
    return harness.case(case.id)


def answer_satisfaction(harness: Harness, case: Escalation, score: str, comment: str = "") -> dict[str, Any]:
    """The CSM clicks "Record the answer" in the DM asking for it and saves the form; returns the
    form as it opened."""
    request = wait_for(
        lambda: [
            m for m in harness.workspace.dm_messages(CSM) if m.text.startswith("Please ask the customer")
        ],
        what="the satisfaction question",
    )
    before = len(harness.workspace.views)
    harness.sender.click(
        CSM,
        CaseAction.SATISFACTION,
        str(case.id),
        channel_id=harness.workspace.ims[CSM],
        message_ts=request[0].ts,
        block_id="satisfaction_actions",
    )
    wait_for(lambda: len(harness.workspace.views) > before, what="the satisfaction form")
    form = harness.latest_view()
    response = harness.submit(CSM, form["id"], score=score, comment=comment)
    assert response.json()["response_action"] == "update"
    return form


def store_cases(
    engine: sa.Engine,
    count: int,
    *,
    owner: str,
    account: str = "Account {n}",
    summary: str = "Case number {n}",
) -> list[Escalation]:
    """`count` open cases stored as intake would store them, without Slack (for volume)."""
    practice = installed().practice
    cases = []
    for n in range(count):
        intake = ValidIntake(
            account=account.replace("{n}", str(n % 40)),
            account_value=None,
            summary=summary.replace("{n}", str(n)),
            description="Stored in bulk.",
            category=practice.categories[n % len(practice.categories)],
            severity=practice.severities[n % len(practice.severities)],
            triggers=(),
            owner_id=owner,
            stakeholder_ids=(),
            links=(),
        )
        cases.append(
            open_case(
                engine,
                intake=intake,
                practice=practice,
                reporter_id=CSM,
                team_id=None,
                intake_view_id=f"bulk-{n}",
                origin_channel_id=None,
                reply_url=None,
                ack_within=timedelta(hours=2),
            ).case
        )
    return cases


def add_due_reminders(engine: sa.Engine, case: Escalation, due: list[datetime]) -> None:
    """Reminders of `case` due at these moments (snoozes of its acknowledgement: they always stand)."""
    assert case.ack_due_at is not None
    with Session(engine) as session:
        for moment in due:
            session.add(
                Reminder(
                    escalation_id=case.id or 0,
                    kind=ReminderKind.SNOOZED.value,
                    promise_at=case.ack_due_at,
                    due_at=moment,
                )
            )
        session.commit()
