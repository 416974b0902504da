"""`/escalate` end to end: signed requests in, what Slack would show out."""

from __future__ import annotations

import json
import threading

from assistant.domain.intake import IntakeField
from assistant.ids import CaseAction, MetadataEvent, Shortcut
from tests.harness import BOT, CSM, EXEC, GONE, OWNER, FlowButton, Harness, wait_for


def blocks_text(blocks: list[dict] | None) -> str:
    return json.dumps(blocks or [], ensure_ascii=False)


def test_slash_command_opens_prefilled_modal_with_guidance(harness: Harness) -> None:
    view_id = harness.open_intake(CSM, text="Acme SSO outage")
    view = harness.workspace.views[view_id]

    assert view["title"]["text"] == "Open an escalation"
    summary = next(b for b in view["blocks"] if b.get("block_id") == IntakeField.SUMMARY)
    assert summary["element"]["initial_value"] == "Acme SSO outage"
    guidance = blocks_text(view["blocks"][:1])
    assert "Escalate at once" in guidance and "No escalation needed" in guidance
    category = next(b for b in view["blocks"] if b.get("block_id") == IntakeField.CATEGORY)
    descriptions = {o["value"]: o["description"]["text"] for o in category["element"]["options"]}
    assert descriptions["process"] == "The same problem hits several accounts repeatedly"


def test_escalate_help_answers_ephemerally(harness: Harness) -> None:
    response = harness.sender.slash_command(CSM, "help", channel_id=harness.general.id)
    assert response.status == 200
    reply = wait_for(lambda: harness.workspace.ephemerals_for(CSM), what="help reply")
    assert "opens an escalation" in blocks_text(reply[0].blocks)
    assert harness.workspace.calls_to("views.open") == []


def test_message_shortcut_prefills_text_and_permalink(harness: Harness) -> None:
    message_ts = "1700000000.000100"
    from slack_standin.workspace import Message

    harness.general.messages.append(
        Message(message_ts, OWNER, "Acme threatens to cancel\nTheir CFO called our CEO this morning.")
    )
    response = harness.sender.message_shortcut(CSM, harness.general.id, message_ts, Shortcut.ESCALATE_MESSAGE)
    assert response.status == 200
    wait_for(lambda: harness.workspace.views, what="views.open")
    view = list(harness.workspace.views.values())[-1]
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id[IntakeField.SUMMARY]["element"]["initial_value"] == "Acme threatens to cancel"
    assert "CFO called our CEO" in by_id[IntakeField.DESCRIPTION]["element"]["initial_value"]
    assert by_id[IntakeField.LINK_SOURCE]["element"]["initial_value"] == (
        f"https://standin.slack.com/archives/{harness.general.id}/p1700000000000100"
    )


def test_submission_opens_the_case_in_its_own_channel(harness: Harness) -> None:
    case = harness.escalate(CSM)

    assert case.key == "ESC-1"
    assert case.account_value == 120_000
    channel = harness.channel_of(case)
    assert channel.name == "esc-1-acme-sso-outage"
    assert not channel.is_private
    assert set(channel.members) == {harness.workspace.bot_user_id, OWNER, CSM, EXEC}
    assert len(harness.workspace.calls_to("conversations.invite")) == 1
    assert channel.topic.startswith("NEW · High severity · Owner: Sarah Miller · Acknowledgement due ")
    assert channel.purpose == "ESC-1: SSO outage"

    card = channel.messages[0]
    assert channel.pins == [card.ts] and case.card_ts == card.ts
    assert card.metadata == {
        "event_type": MetadataEvent.CASE_CARD,
        "event_payload": {"case_id": case.id, "delivery": f"case:{case.id}:card"},
    }
    text = blocks_text(card.blocks)
    # What an executive reads in five seconds: status, owner, the next promise, the value at risk.
    for expected in (
        "ESC-1 · Acme",
        "SSO outage",
        "New",
        f"<@{OWNER}>",
        "Acknowledgement due",
        "<!date^",
        "$120,000",
        "Technical escalation",
        f"<@{CSM}>",
        "Customer contacted one of our executives",
    ):
        assert expected in text, expected
    assert len(card.blocks or []) <= 7  # was about 25 lines: the rest is behind "More details"
    details = harness.details(EXEC, case)
    for expected in (
        "Nobody at Acme can log in",
        f"<@{EXEC}>",
        "Formal bug report with an SLA",
        "https://support.example.com/tickets/4521",
    ):
        assert expected in details and expected not in text, expected
    assert card.blocks is not None
    elements = [e for b in card.blocks if b["type"] == "actions" for e in b["elements"]]
    buttons = [e["action_id"] for e in elements if e["type"] == "button"]
    # Only what a new case allows: "Post update" and "Resolve" would only refuse before the
    # acknowledgement.
    assert buttons == [FlowButton.ACKNOWLEDGE, FlowButton.CLASSIFY, CaseAction.DETAILS]
    more = next(e for e in elements if e["type"] == "overflow")
    assert [o["text"]["text"] for o in more["options"]] == [
        "Reassign / escalate up",
        "Customer contacts",
        "Affected accounts",
        "Call the task force",
        "Timeline",
    ]
    assert channel.bookmarks == [
        {
            "id": channel.bookmarks[0]["id"],
            "title": "Ticket",
            "type": "link",
            "link": "https://support.example.com/tickets/4521",
        }
    ]

    owner_dm = harness.workspace.dm_messages(OWNER)
    assert len(owner_dm) == 1
    dm = blocks_text(owner_dm[0].blocks)
    assert "acknowledge within 2 hours" in dm and f"<#{channel.id}>" in dm
    assert f"app_redirect?channel={channel.id}" in dm

    feed = harness.feed.messages
    assert len(feed) == 1 and "New escalation ESC-1" in feed[0].text
    assert f"app_redirect?channel={channel.id}" in blocks_text(feed[0].blocks)

    reply = harness.workspace.ephemerals_for(CSM)
    assert len(reply) == 1 and f"ESC-1 is open in <#{channel.id}>" in reply[0].text
    assert reply[0].channel == harness.general.id

    kinds = [e.kind for e in harness.events(case.id)]
    assert kinds[0] == "opened"
    assert set(kinds[1:]) == {
        "channel_created",
        "members_invited",
        "topic_set",
        "purpose_set",
        "card_posted",
        "card_pinned",
        "links_bookmarked",
        "canvas_created",
        "owner_notified",
        "feed_announced",
        "reporter_answered",
        # The default intake says an executive was contacted: the managers are told at once.
        "trigger_effects",
        "managers_told",
    }


def test_sensitive_case_gets_a_private_channel_and_a_discreet_announcement(harness: Harness) -> None:
    case = harness.escalate(CSM, triggers=["data_breach"], account="Globex", summary="Customer data exposed")

    channel = harness.channel_of(case)
    assert channel.is_private and case.is_private
    announcement = harness.feed.messages[0]
    shown = announcement.text + blocks_text(announcement.blocks)
    assert "restricted escalation ESC-1" in shown
    assert "Globex" not in shown and "Customer data exposed" not in shown


def test_people_not_looked_up_as_they_were_chosen_are_checked_at_the_submission(harness: Harness) -> None:
    """Chosen on another instance (or long ago): Slack is asked then, within its 3 seconds."""
    view_id = harness.open_intake(CSM)
    harness.components.people._cache.pop(BOT, None)
    harness.components.people._cache.pop(GONE, None)
    response = harness.submit_intake(view_id, CSM, owner=BOT, stakeholders=[GONE])
    errors = response.json()["errors"]
    assert errors[IntakeField.OWNER] == "A bot cannot be the owner; choose a person."
    assert errors[IntakeField.STAKEHOLDERS] == "Remove Gone Person: only active people can be involved."
    assert harness.cases() == []


def test_invalid_input_is_refused_in_the_modal(harness: Harness) -> None:
    view_id = harness.open_intake(CSM)
    # The CSM tries several people in the form before submitting (each choice is looked up).
    harness.choose_people(view_id, CSM, owner=OWNER, stakeholders=[EXEC])
    harness.choose_people(view_id, CSM, owner=BOT, stakeholders=[GONE])
    users_info = len(harness.workspace.calls_to("users.info"))
    response = harness.submit_intake(
        view_id, CSM, account_value="lots", summary="   ", owner=BOT, stakeholders=[GONE]
    )
    assert response.status == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert body["errors"][IntakeField.ACCOUNT_VALUE].startswith("Enter the annual contract value")
    assert body["errors"][IntakeField.SUMMARY] == "Write a one-line summary of the problem."
    # Every problem in one round: the people are checked along with the fields.
    assert body["errors"][IntakeField.OWNER] == "A bot cannot be the owner; choose a person."

    response = harness.submit_intake(view_id, CSM, owner=BOT, stakeholders=[GONE])
    errors = response.json()["errors"]
    assert errors[IntakeField.OWNER] == "A bot cannot be the owner; choose a person."
    assert errors[IntakeField.STAKEHOLDERS] == "Remove Gone Person: only active people can be involved."

    response = harness.submit_intake(view_id, CSM, owner=GONE)
    assert response.json()["errors"][IntakeField.OWNER].startswith("That account is deactivated")
    # They were looked up as they were chosen: no submission waited on Slack.
    assert len(harness.workspace.calls_to("users.info")) == users_info

    response = harness.submit_intake(view_id, CSM, summary="x" * 151, link_crm="javascript:alert(1)")
    errors = response.json()["errors"]
    assert "at most 150 characters" in errors[IntakeField.SUMMARY]
    assert errors[IntakeField.LINK_CRM] == "Enter a web address starting with https://"

    assert harness.cases() == []
    assert harness.workspace.case_channels() == []


def test_the_same_submission_twice_makes_one_case_and_one_channel(harness: Harness) -> None:
    view_id = harness.open_intake(CSM)
    responses = []
    threads = [
        threading.Thread(target=lambda: responses.append(harness.submit_intake(view_id, CSM)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in responses] == [200, 200, 200]
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case")
    harness.wait_provisioned(case.id)
    assert len(harness.cases()) == 1
    assert len(harness.workspace.case_channels()) == 1
    assert len(harness.workspace.calls_to("conversations.create")) == 1
    assert len(harness.workspace.dm_messages(OWNER)) == 1


def test_triggers_change_the_case_and_tell_who_must_know(harness: Harness) -> None:
    from tests.harness import MANAGER

    case = harness.escalate(
        CSM,
        category="technical",
        severity="medium",
        triggers=["termination_mentioned", "public_review_threat", "executive_contacted"],
    )
    assert case.severity == "high"  # termination mentioned: at least high
    effects = [e for e in harness.events(case.id) if e.kind == "trigger_effects"]
    assert effects and effects[0].data["severity_raised_from"] == "medium"
    assert effects[0].data["suggested_category"] == "business" and effects[0].data["managers_told"]
    card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
    assert "Suggested category: *Business*" in card
    assert "involve Legal" in harness.details(OWNER, case)
    told = wait_for(lambda: harness.workspace.dm_messages(MANAGER), what="the managers to be told")
    assert "ESC-1" in told[0].text and "executive was contacted" in json.dumps(told[0].blocks)

    breach = harness.escalate(CSM, severity="low", triggers=["data_breach"], stakeholders=[])
    assert breach.severity == "critical" and breach.is_private
    wait_for(lambda: len(harness.workspace.dm_messages(MANAGER)) == 2, what="the managers to be told again")
    restricted = json.dumps(harness.workspace.dm_messages(MANAGER)[-1].blocks)
    assert "ESC-2" in restricted and "Data breach" in restricted


def test_a_case_without_triggers_tells_no_manager(harness: Harness) -> None:
    from tests.harness import MANAGER

    case = harness.escalate(CSM, triggers=[], stakeholders=[])
    assert "trigger_effects" not in [e.kind for e in harness.events(case.id)]
    assert harness.workspace.dm_messages(MANAGER) == []
