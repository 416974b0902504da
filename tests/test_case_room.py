"""The case room as managers meet it (issue 23): a missed promise they can act on from their DM,
and a restricted case's private channel they can get into."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from assistant.ids import CaseAction
from assistant.models import Escalation
from tests.harness import CSM, EXEC, MANAGER, OWNER, FlowButton, Harness, start_harness, wait_for


def buttons(blocks: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """A message's buttons by their label."""
    return {e["text"]["text"]: e for b in blocks or [] if b["type"] == "actions" for e in b["elements"]}


def breach_in_dm(harness: Harness, case: Escalation, user: str) -> Any:
    deadline = case.ack_due_at or datetime.now(UTC)
    harness.components.reminders.tick(now=deadline)
    return wait_for(
        lambda: [m for m in harness.workspace.dm_messages(user) if m.text.startswith("Missed promise")],
        what=f"the breach in {user}'s DM",
    )[-1]


def click_in_dm(
    harness: Harness, user: str, message: Any, button: dict[str, Any], block_id: str, dm_of: str = ""
) -> None:
    """`user` clicks `button` of `message`, in the DM of `dm_of` (theirs unless said: a forwarded copy)."""
    harness.mark(user)
    response = harness.sender.click(
        user,
        button["action_id"],
        button["value"],
        channel_id=harness.workspace.ims[dm_of or user],
        message_ts=message.ts,
        block_id=block_id,
    )
    assert response.status == 200, response


def test_a_manager_takes_over_a_case_whose_promise_was_missed(harness: Harness) -> None:
    case = harness.escalate(CSM, stakeholders=[])
    breach = breach_in_dm(harness, case, MANAGER)
    offered = buttons(breach.blocks)
    assert list(offered) == ["Take ownership", "Reassign", "Open case channel"]
    assert f"channel={case.channel_id}" in offered["Open case channel"]["url"]
    # The channel's copy and the feed's have no actions: anyone reads those.
    assert buttons(harness.channel_of(case).messages[-1].blocks) == {}

    views = len(harness.workspace.views)
    click_in_dm(harness, MANAGER, breach, offered["Take ownership"], "breach_actions")
    wait_for(lambda: len(harness.workspace.views) > views, what="the reassign modal")
    view_id, view = list(harness.workspace.views.items())[-1]
    assert view["callback_id"] == "reassign"
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["new_owner"]["initial_user"] == MANAGER
    assert "taking it over" in fields["reason"]["initial_value"]

    assert harness.submit(MANAGER, view_id).status == 200  # as written: their confirmation
    taken = wait_for(lambda: (c := harness.case(case.id)).owner_id == MANAGER and c, what="the hand-over")
    event = next(e for e in harness.events(case.id) if e.kind == "reassigned")
    assert (event.actor_id, event.data["from"], event.data["to"]) == (MANAGER, OWNER, MANAGER)
    # A fresh acknowledgement window, as for any hand-over before acknowledgement.
    assert taken.ack_due_at and taken.ack_due_at > (case.ack_due_at or taken.ack_due_at)


def test_the_breach_s_reassign_opens_the_flow_and_others_are_refused(harness: Harness) -> None:
    case = harness.escalate(CSM, stakeholders=[])
    breach = breach_in_dm(harness, case, MANAGER)
    views = len(harness.workspace.views)
    click_in_dm(harness, MANAGER, breach, buttons(breach.blocks)["Reassign"], "breach_actions")
    wait_for(lambda: len(harness.workspace.views) > views, what="the reassign modal")
    view = list(harness.workspace.views.values())[-1]
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert "initial_user" not in fields["new_owner"]

    # Someone the flow does not let reassign (not owner, reporter, manager or admin) is told so.
    click_in_dm(harness, EXEC, breach, buttons(breach.blocks)["Take ownership"], "breach_actions", MANAGER)
    assert "reassign" in harness.answer(EXEC).lower()
    assert harness.case(case.id).owner_id == OWNER


def test_the_owner_s_manager_may_take_over_too(database_url: str) -> None:
    harness = start_harness(database_url, managers_of_owners=f"{OWNER}={EXEC}")
    try:
        case = harness.escalate(CSM, stakeholders=[])
        breach = breach_in_dm(harness, case, EXEC)
        views = len(harness.workspace.views)
        click_in_dm(
            harness, EXEC, breach, buttons(breach.blocks)["Take ownership"], "breach_actions", MANAGER
        )
        wait_for(lambda: len(harness.workspace.views) > views, what="the reassign modal")
        view_id = list(harness.workspace.views)[-1]
        assert harness.submit(EXEC, view_id).status == 200
        wait_for(lambda: harness.case(case.id).owner_id == EXEC, what="the owner's manager to own it")
    finally:
        harness.stop()


def test_managers_told_of_a_restricted_case_can_join_its_private_channel(harness: Harness) -> None:
    case = harness.escalate(CSM, triggers=["data_breach"], stakeholders=[])
    channel = harness.channel_of(case)
    assert channel.is_private and MANAGER not in channel.members
    told = wait_for(lambda: harness.workspace.dm_messages(MANAGER), what="the managers told")[-1]
    join = buttons(told.blocks)["Join the case channel"]
    assert "url" not in join  # a link to a private channel they are not in would lead nowhere

    click_in_dm(harness, MANAGER, told, join, "managers_actions")
    assert f"You are in <#{case.channel_id}>" in harness.answer(MANAGER)
    assert MANAGER in channel.members
    assert "followed" in [e.kind for e in harness.events(case.id)]  # on the timeline, and their Home tab

    # Anyone else pressing the same button is still refused: the channel stays private.
    click_in_dm(harness, EXEC, told, join, "managers_actions", MANAGER)
    assert "restricted case" in harness.answer(EXEC)
    assert EXEC not in channel.members


def test_a_breach_of_a_restricted_case_offers_to_join_not_a_link(harness: Harness) -> None:
    case = harness.escalate(CSM, triggers=["data_breach"], stakeholders=[])
    breach = breach_in_dm(harness, case, MANAGER)
    offered = buttons(breach.blocks)
    assert list(offered) == ["Take ownership", "Reassign", "Join the case channel"]
    assert offered["Join the case channel"]["action_id"] == CaseAction.FOLLOW
    assert "Initech" not in json.dumps(harness.feed.messages[-1].blocks)


def test_a_trigger_s_suggested_category_is_chosen_for_the_owner_to_confirm(harness: Harness) -> None:
    """ "Termination mentioned" on a technical case: the classify form has Business chosen, and
    taking it needs no reason; the case becomes a business case, with its executive contact owed."""
    case = harness.escalate(CSM, category="technical", triggers=["termination_mentioned"], stakeholders=[])
    assert case.category == "technical" and case.exec_contact_due_at is None
    view_id = harness.open_flow(OWNER, case, FlowButton.CLASSIFY)
    view = harness.workspace.views[view_id]
    category = next(b for b in view["blocks"] if b.get("block_id") == "category")["element"]
    assert category["type"] == "radio_buttons"  # each category's description shows
    assert category["initial_option"]["value"] == "business"
    assert all(o.get("description") for o in category["options"])
    note = json.dumps(next(b for b in view["blocks"] if b.get("block_id") == "suggested_category"))
    assert "*Business*, as Termination mentioned by name suggests" in note and "Technical again" in note

    response = harness.submit(
        OWNER, view_id, kind="functional", severity="high", resolving_team="Account team"
    )
    assert response.status == 200 and not response.body, response.body
    classified = wait_for(
        lambda: (c := harness.case(case.id)).category == "business" and c, what="the category"
    )
    assert classified.exec_contact_due_at is not None  # a business case: an executive contacts them

    # Keeping the CSM's category instead goes against the triggers: the form asks why.
    other = harness.escalate(CSM, category="technical", triggers=["termination_mentioned"], stakeholders=[])
    view_id = harness.open_flow(OWNER, other, FlowButton.CLASSIFY)
    answers = {
        "category": "technical",
        "kind": "functional",
        "severity": "high",
        "resolving_team": "Identity",
    }
    response = harness.submit(OWNER, view_id, **answers)
    assert response.json()["errors"] == {
        "reason": "Say why this is a technical case rather than the business one its triggers suggest; "
        "it goes on the timeline."
    }
    harness.submit(OWNER, view_id, **answers, reason="They named termination, but only over the outage.")
    wait_for(lambda: harness.case(other.id).kind == "functional", what="the classification")
    assert harness.case(other.id).category == "technical"


def test_the_intake_offers_categories_as_radio_buttons_with_their_descriptions(harness: Harness) -> None:
    harness.open_intake(CSM)
    view = harness.latest_view()
    category = next(b for b in view["blocks"] if b.get("block_id") == "category")["element"]
    assert category["type"] == "radio_buttons"
    assert [o["value"] for o in category["options"]] == ["technical", "business", "relationship", "process"]
    assert all(o["description"]["text"] for o in category["options"])


def zone_field(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == "contact_zone")["element"]


def test_a_contact_s_zone_defaults_to_the_account_s_else_the_csm_s_named_in_the_reader_s_words(
    harness: Harness,
) -> None:
    from assistant.content.registry import installed
    from assistant.domain.account_rows import read_accounts
    from assistant.services.accounts import import_accounts

    case = harness.escalate(CSM, stakeholders=[])  # Acme: not in the directory
    view_id = harness.open_more(OWNER, case, "contacts")
    zone = zone_field(harness.workspace.views[view_id])
    assert zone["initial_option"]["value"] == "Europe/London"  # Carla's, the CSM's
    labels = {o["value"]: o["text"]["text"] for o in zone["options"]}
    assert labels["America/Sao_Paulo"] == "Brazil (São Paulo) Time" and labels["UTC"] == "UTC"

    rows, problems = read_accounts(
        "name,timezone\nInitech,America/Mexico_City\n", json_format=False, default_currency="USD"
    )
    assert not problems
    import_accounts(harness.engine, rows, rules=installed().practice.judgement)
    initech = harness.escalate(CSM, account="Initech", stakeholders=[])
    view_id = harness.open_more(OWNER, initech, "contacts")
    assert zone_field(harness.workspace.views[view_id])["initial_option"]["value"] == "America/Mexico_City"
    # Left as it is, the contacts' times are written in the account's zone.
    harness.submit(OWNER, view_id, contacts="Ana Ruiz <ana@initech.example>, CTO", contact_language="es")
    told = wait_for(
        lambda: [
            m
            for m in harness.channel_of(initech).messages
            if "ana@initech.example" in m.text + json.dumps(m.blocks)
        ],
        what="the contacts announced",
    )
    assert "Mexico (Mexico City) Time" in json.dumps(told[-1].blocks, ensure_ascii=False)


def test_the_intake_s_contacts_without_a_zone_take_the_csm_s(harness: Harness) -> None:
    from assistant.services import customer

    case = harness.escalate(
        CSM, stakeholders=[], contacts="Ana Souza <ana@acme.example>, CTO", contact_language="pt_BR"
    )
    [contact] = customer.contacts_of(harness.engine, case.id or 0)
    assert contact.tz == "Europe/London"


def test_zone_names_follow_the_reader_s_language() -> None:
    from assistant.content.customer_time import zone_options
    from assistant.content.i18n import speaking

    with speaking("pt_BR"):
        portuguese = {o["value"]: o["label"] for o in zone_options()}
    with speaking("es"):
        spanish = {o["value"]: o["label"] for o in zone_options("Pacific/Auckland")}
    assert portuguese["America/Sao_Paulo"] == "Horário Brasil (São Paulo)"
    assert spanish["America/New_York"] == "hora de Estados Unidos (Nueva York)"
    assert next(iter(spanish)) == "Pacific/Auckland"  # an account's zone the list lacks comes first


def test_an_executive_contact_cancelled_at_resolution_stays_cancelled_after_a_reopening(
    database_url: str,
) -> None:
    from tests.harness import in_hours
    from tests.parts import running_parts

    with running_parts(database_url) as parts:
        case = parts.escalate(CSM, category="business", stakeholders=[], triggers=[])
        case = parts.run_flow(OWNER, case, "acknowledge", next_update=in_hours(3), customer_message="On it.")
        parts.run_flow(
            OWNER, case, "resolve", resolution_summary="Credit agreed", fix="Credit note",
            customer_confirmed="yes", customer_notice="Your credit is issued.",
            executive_contact="not_needed", executive_contact_reason="Their CFO settled it with billing.",
        )  # fmt: skip
        reopened = parts.run_flow(
            CSM, case, "reopen", reason="The credit note was wrong.", next_update=in_hours(2)
        )
        assert reopened.exec_contact_due_at is None
        pending = {r.kind for r in table_reminders(parts, case.id) if r.state == "pending"}
        assert not pending & {"exec_contact_soon", "exec_contact_missed"}
        cancelled = next(e for e in parts.events(case.id) if e.kind == "executive_contact_cancelled")
        assert cancelled.data["was_due_at"]  # the promise it was, kept on the timeline


def table_reminders(parts: Any, case_id: int | None) -> list[Any]:
    from assistant.services import reminders

    return reminders.reminders_of(parts.engine, case_id or 0)


def test_a_resolve_form_older_than_the_executive_contact_is_not_saved(database_url: str) -> None:
    """Opened on a technical case, which became business meanwhile: the promise is not dropped."""
    from tests.harness import in_hours
    from tests.parts import running_parts

    with running_parts(database_url) as parts:
        case = parts.escalate(CSM, category="technical", stakeholders=[], triggers=[])
        case = parts.run_flow(OWNER, case, "acknowledge", next_update=in_hours(3), customer_message="On it.")
        stale = parts.open_flow(OWNER, case, "resolve")
        parts.run_flow(
            OWNER, case, "classify", category="business", kind="hierarchical", severity="high",
            resolving_team="Account team", reason="Termination was mentioned on the call.",
        )  # fmt: skip
        answered = parts.submit(
            OWNER, stale, resolution_summary="Fixed", fix="Restarted", customer_confirmed="yes",
            customer_notice="Your service is back.",
        )  # fmt: skip
        assert answered["errors"]["resolution_summary"].startswith(
            "This case owes the customer an executive contact"
        )
        assert parts.case(case.id).status == "acknowledged"


def test_a_member_of_a_private_case_channel_reads_its_details(harness: Harness) -> None:
    """People in the channel (a playbook group, someone the owner added) read the card already."""
    case = harness.escalate(CSM, triggers=["data_breach"], stakeholders=[])
    assert "restricted case" in harness.details(EXEC, case, elsewhere=True)  # not from the channel
    harness.channel_of(case).members.append(EXEC)  # the owner added them
    assert "What is happening, and the impact" in harness.details(EXEC, case)


def test_radio_buttons_and_checkboxes_hold_ten_options() -> None:
    import pytest

    from assistant.rendering.validate import InvalidPayload, check_view
    from slack_standin.blockkit import view_problem

    options = [{"text": {"type": "plain_text", "text": f"C{i}"}, "value": f"c{i}"} for i in range(11)]
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Eleven"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "category",
                "label": {"type": "plain_text", "text": "Category"},
                "element": {"type": "radio_buttons", "action_id": "category", "options": options},
            }
        ],
    }
    assert view_problem(view) == "radio_buttons hold at most 10 options"
    for level in ("full", "limits"):
        with pytest.raises(InvalidPayload):
            check_view(view, level=level)


def test_a_posix_zone_is_named_by_its_real_offset() -> None:
    from assistant.content.customer_time import zone_label

    assert zone_label("Etc/GMT+3") == "GMT-03:00"  # three hours behind, whatever its name says


def test_support_tiers_keep_a_critical_case_with_the_senior_owners(harness: Harness) -> None:
    """The playbook's severity `owners`: a critical case is owned by a member of @senior-owners,
    at intake and on reassignment (issue 23, tiers); a workspace without the group restricts no one."""
    unrestricted = harness.escalate(CSM, severity="critical", stakeholders=[], triggers=[])
    assert unrestricted.owner_id == OWNER  # no @senior-owners group in this workspace yet
    harness.workspace.add_usergroup("senior-owners", [MANAGER])
    harness.components.provisioner.groups._read_at = None  # the cached groups, read again
    view_id = harness.open_intake(CSM)
    refused = harness.submit_intake(view_id, severity="critical", stakeholders=[], triggers=[]).json()
    assert refused["errors"]["owner"] == (
        "A critical case is owned by a member of @senior-owners (the playbook's support tiers): "
        "choose one of them."
    )
    # A trigger that makes the case critical (a data breach) asks the same.
    refused = harness.submit_intake(view_id, severity="low", stakeholders=[], triggers=["data_breach"]).json()
    assert "@senior-owners" in refused["errors"]["owner"]
    response = harness.submit_intake(
        view_id, severity="critical", stakeholders=[], triggers=[], owner=MANAGER
    )
    assert response.status == 200 and not response.body
    # Reassigning it to someone outside the tier is refused next to the field.
    view_id = harness.open_flow(OWNER, unrestricted, FlowButton.REASSIGN)
    errors = harness.submit(OWNER, view_id, new_owner=EXEC, reason="Going on leave").json()["errors"]
    assert "@senior-owners" in errors["new_owner"]
