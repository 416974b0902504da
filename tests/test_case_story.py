"""The full life of a case, as its people live it, over HTTP against the Slack stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from assistant.ids import CaseAction, MetadataEvent
from assistant.services.lifecycle import latest_rca, updates_of
from tests.harness import CSM, EXEC, MANAGER, OWNER, FlowButton, Harness, in_hours, wait_for
from tests.stories import answer_satisfaction


def text_of(message: object) -> str:
    return json.dumps(getattr(message, "blocks", None) or [], ensure_ascii=False) + getattr(
        message, "text", ""
    )


def test_the_life_of_a_case(any_harness: Harness) -> None:
    harness = any_harness
    # Carla, the CSM, escalates: Acme's SSO is down and their CEO emailed ours.
    case = harness.escalate(CSM, category="business")
    channel = harness.channel_of(case)
    card = channel.messages[0]

    def said() -> str:
        return text_of(channel.messages[-1])

    def wait_for_message(count: int) -> None:
        wait_for(lambda: len(channel.messages) >= count, what=f"message {count} in the channel")

    # Sarah, the owner, acknowledges within the 2 hours and promises an update in 3 hours.
    view = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    harness.submit(OWNER, view, next_update=in_hours(3), customer_message="Hello Acme, I'm Sarah...")
    wait_for_message(2)
    assert "acknowledged *ESC-1* on time" in said()

    # She classifies it: business, lifted hierarchically, resolved by the VP of CS.
    view = harness.open_flow(OWNER, case, FlowButton.CLASSIFY)
    harness.submit(
        OWNER,
        view,
        category="business",
        kind="hierarchical",
        severity="critical",
        resolving_team="VP Customer Success",
    )
    wait_for_message(3)
    assert "classified *ESC-1*: Business, Hierarchical, Critical severity" in said()
    assert "Executive contact within 24 hours; account rescue plan" in said()

    # At the promised time she posts an update, with a revised target and the next promise.
    view = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    next_promise = in_hours(4)
    harness.submit(
        OWNER,
        view,
        internal="IdP certificate expired; renewing with Okta.",
        customer_update="Here is where we are: the cause is found. Revised target: 14:00.",
        next_update=next_promise,
    )
    wait_for_message(4)
    assert "IdP certificate expired" in said() and f"<!date^{next_promise}^" in said()
    assert len(updates_of(harness.components.engine, case.id or 0)) == 1

    # The customer's CEO wants a peer: Carla (the reporter) escalates up to Ken, the CRO.
    view = harness.open_flow(CSM, case, FlowButton.REASSIGN)
    harness.submit(CSM, view, new_owner=EXEC, reason="Their CEO asked for an executive peer.")
    wait_for_message(5)
    assert f"handed *ESC-1* from <@{OWNER}> to <@{EXEC}>" in said()
    assert "You now own ESC-1" in harness.workspace.dm_messages(EXEC)[-1].text
    assert OWNER in harness.case(case.id).stakeholder_ids  # Sarah stays involved

    # A business case: an executive contacts the customer within 24 hours. The card shows that
    # promise with its button; Ken, who called their CEO, records it there.
    assert "Executive contact" in text_of(card) and "Executive contact made" in json.dumps(card.blocks)
    harness.click(EXEC, harness.case(case.id), CaseAction.EXEC_CONTACT_DONE)
    wait_for_message(6)
    assert f"<@{EXEC}> recorded the executive contact" in said()
    wait_for(lambda: "Executive contact made" not in json.dumps(card.blocks), what="the card to show it made")

    # Ken resolves it; the customer confirms; the feed hears of it; the RCA becomes due.
    view = harness.open_flow(EXEC, case, FlowButton.RESOLVE)
    harness.submit(
        EXEC,
        view,
        resolution_summary="SSO restored for every Acme user.",
        fix="Renewed the IdP certificate; added expiry monitoring.",
        customer_confirmed="yes",
        customer_notice="SSO is back for every Acme user since 14:10.",
    )
    wait_for_message(7)
    assert "resolved *ESC-1*" in said() and "Customer confirmed service is back." in said()
    wait_for(
        lambda: any("is resolved" in m.text or "is resolved" in text_of(m) for m in harness.feed.messages),
        what="the feed to hear",
    )
    rca_due = harness.case(case.id).rca_due_at
    assert rca_due is not None
    days = [
        datetime.now(UTC).date() + timedelta(days=n) for n in range(1, (rca_due - datetime.now(UTC)).days + 2)
    ]
    assert sum(d.weekday() < 5 for d in days if d <= rca_due.date()) == 5  # five working days

    # Ken records the root-cause analysis with owned, dated action items.
    view = harness.open_flow(EXEC, case, FlowButton.RCA)
    due = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    harness.submit(
        EXEC,
        view,
        what_happened="The SAML certificate expired at 09:00. INTERNAL-MARKER-1",
        root_cause="Certificate renewal was manual and undocumented. INTERNAL-MARKER-2",
        cause_area="process",
        corrective_1_description="Renew the certificate",
        corrective_1_owner=OWNER,
        corrective_1_due=due,
        preventive_1_description="Alert 30 days before expiry",
        preventive_1_owner=MANAGER,
        preventive_1_due=due,
        customer_rca="On 22 November a security certificate expired; we renewed it and now monitor it.",
    )
    wait_for(lambda: len(channel.files) == 2, what="the two RCA documents")
    files = {f["title"]: f["content"].decode() for f in channel.files}
    internal, customer = files["ESC-1 RCA (internal)"], files["ESC-1 RCA for the customer"]
    assert "## Root cause\n\nCertificate renewal was manual" in internal
    assert f"| preventive | Alert 30 days before expiry | Maria Garcia | {due} |" in internal
    # The customer's document says what they are told and nothing internal: no marker, no owner.
    assert "we renewed it and now monitor it" in customer
    for internal_only in (
        "INTERNAL-MARKER",
        "Maria Garcia",
        "Sarah Miller",
        "manual and undocumented",
        "process",
    ):
        assert internal_only not in customer, internal_only
    assert any("Customer-facing RCA for ESC-1" in m.text for m in channel.messages)
    rca = latest_rca(harness.components.engine, case.id or 0)
    assert rca is not None and len(rca[1]) == 2

    # Ken closes it, enrolling Acme in executive sponsorship; the channel is archived.
    view = harness.open_flow(EXEC, case, FlowButton.CLOSE)
    # The resolution checklist: Acme confirmed at resolution; the ticket it raised is closed; Ken
    # shared the customer-facing RCA with their CEO (the form names the owner already).
    asked = {b.get("block_id") for b in harness.workspace.views[view]["blocks"]}
    assert "service_confirmed" not in asked and {"records_closed", "rca_shared_by"} <= asked
    # And the handling review, apart from the technical cause: where we lost time.
    harness.submit(
        EXEC,
        view,
        sponsorship=["enrol"],
        records_closed=["yes"],
        handled_better="Forty minutes went on finding who owned the IdP certificate.",
        improvement_area="process",
        improvement="Every certificate gets a named owner and an expiry alert.",
    )
    wait_for(lambda: channel.is_archived, what="the channel to be archived")
    assert any("ESC-1 is closed" in m.text for m in channel.messages)
    closed = harness.case(case.id)
    assert closed.status == "closed" and closed.sponsorship_requested

    # Carla is asked for the customer's satisfaction, and records it.
    answer_satisfaction(harness, case, "4", "Fast and honest.")
    assert harness.case(case.id).satisfaction_score == 4

    # A week later the problem is back. Sarah no longer owns the case, so she may not reopen it;
    # Carla, who reported it, does, and the channel comes back.
    harness.click(OWNER, case, FlowButton.REOPEN)
    assert harness.answer(OWNER) == (
        f"Only the owner, <@{EXEC}>, the person who reported it, or an escalation manager "
        "can reopen this case."
    )
    view = harness.open_flow(CSM, case, FlowButton.REOPEN)
    harness.submit(CSM, view, reason="Logins fail again for the EU tenant.", next_update=in_hours(2))
    wait_for(lambda: harness.case(case.id).status == "acknowledged", what="the reopening")
    wait_for(lambda: not channel.is_archived and "reopened *ESC-1*" in said(), what="the channel to be back")
    # Unarchived first, then posted in: no post was refused for an archived channel.
    refused = [c for c in harness.workspace.calls_to("chat.postMessage") if c.error == "is_archived"]
    assert not refused

    # The timeline tells the whole story, in order.
    harness.sender.slash_command(OWNER, "timeline", channel_id=channel.id)
    timeline = wait_for(
        lambda: [e for e in harness.workspace.ephemerals_for(OWNER) if "Timeline" in e.text],
        what="the timeline",
    )
    story = json.dumps(timeline[-1].blocks, ensure_ascii=False)
    sentences = [
        "opened the case",
        "acknowledged the case",
        "classified the case",
        "posted a status update",
        "reassigned the case",
        "resolved the case",
        "recorded the root-cause analysis",
        "closed the case",
        "recorded the customer's satisfaction",
        "reopened the case",
    ]
    positions = [story.index(s) for s in sentences]
    assert positions == sorted(positions)
    assert "<!date^" in story

    # Through all of it, one card, updated in place.
    assert [
        m for m in channel.messages if (m.metadata or {}).get("event_type") == MetadataEvent.CASE_CARD
    ] == [card]
    wait_for(lambda: card.edited >= 8, what="every change on the card (refreshed in the background)")
