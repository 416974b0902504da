"""Ask it (issue 24, part 1): a DM or an @mention is understood (intents and entities, in English,
Portuguese and Spanish, typos forgiven) and answered from the database with the same visibility as
everywhere; an order is answered with its form's button and never carried out from chat."""

from __future__ import annotations

import json
from typing import Any

from tests.harness import CSM, MANAGER, OWNER, VP, Harness, wait_for


def answers_to(harness: Harness, user: str, text: str) -> Any:
    """`user` DMs the app `text`; the app's answer in that DM."""
    before = len(harness.workspace.dm_messages(user))
    harness.sender.direct_message(user, text)
    return wait_for(
        lambda: [
            m for m in harness.workspace.dm_messages(user)[before:] if m.user == harness.workspace.bot_user_id
        ],
        what=f"the answer to {text!r}",
    )[-1]


def shown(message: Any) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def test_questions_are_answered_and_orders_only_open_their_form(harness: Harness) -> None:
    case = harness.escalate(CSM, stakeholders=[])
    private = harness.escalate(
        CSM, account="Initech", summary="Data exposed", triggers=["data_breach"], stakeholders=[]
    )

    status = answers_to(harness, OWNER, f"whats the stauts of esc {case.id}?")
    assert status.text.startswith(f"{case.key}: New")
    assert f"<@{OWNER}>" in shown(answers_to(harness, CSM, f"who owns {case.key}"))
    mine = shown(answers_to(harness, OWNER, "show me my cases"))
    assert case.key in mine and "Your open escalations" in mine
    assert case.key in shown(answers_to(harness, OWNER, "what's due today?"))
    assert "Open escalations of Acme" in shown(answers_to(harness, CSM, "how is acme doing"))

    # A private case stays private: someone outside it sees it restricted, nothing of its account.
    outside = shown(answers_to(harness, VP, f"status {private.key}"))
    assert "Initech" not in outside and "Data exposed" not in outside
    assert "Initech" not in shown(answers_to(harness, VP, "when did initech last hear from us"))

    # An order: its form's button, and nothing done.
    order = answers_to(harness, OWNER, f"acknowledge {case.key}")
    button = next(e for b in order.blocks if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == "case_acknowledge" and button["value"] == str(case.id)
    assert "Nothing changes until you submit it." in shown(order)
    reassign = answers_to(harness, MANAGER, f"reassign {case.key} to <@{VP}>")
    assert "case_reassign" in shown(reassign)
    assert harness.case(case.id).status == "new" and harness.case(case.id).owner_id == OWNER

    # A customer writing in a shared (Slack Connect) channel gets nothing; a bot never an answer.
    before = len(harness.workspace.dm_messages(OWNER))
    harness.sender.event(
        {"type": "message", "channel_type": "im", "channel": harness.workspace.ims[OWNER], "user": OWNER,
         "user_team": "TCUSTOMER", "text": f"status {case.key}", "ts": "1.000001"}
    )  # fmt: skip
    harness.sender.event(
        {"type": "message", "channel_type": "im", "channel": harness.workspace.ims[OWNER], "bot_id": "B1",
         "text": f"status {case.key}", "ts": "1.000002"}
    )  # fmt: skip
    answers_to(harness, OWNER, "help")  # answered in order: the two before it were not
    assert len(harness.workspace.dm_messages(OWNER)) == before + 2  # "help" and its answer

    # Not understood: what it can do, never silence.
    assert "Here is what I can do" in shown(answers_to(harness, OWNER, "book me a meeting room"))


def test_it_answers_in_each_persons_language_and_in_a_thread_when_mentioned(harness: Harness) -> None:
    harness.workspace.users[OWNER].locale = "pt-BR"
    harness.workspace.users[CSM].locale = "es-ES"
    case = harness.escalate(CSM, stakeholders=[])
    said = shown(answers_to(harness, OWNER, f"quem é o responsável pelo caso {case.id}?"))
    assert "é o responsável por" in said
    said = shown(answers_to(harness, CSM, "¿qué puedes hacer?"))
    assert "Esto es lo que puedo hacer" in said

    # @Escalations in the case channel: about that case without naming it, answered privately
    # (what one person may see is not for the whole channel).
    channel = harness.channel_of(case)
    before = len(channel.messages)
    harness.mark(CSM)
    harness.sender.mention(CSM, channel.id, "who owns this?")
    harness.answer(CSM)
    assert f"<@{OWNER}>" in json.dumps(harness.workspace.ephemerals_for(CSM)[-1].blocks)
    assert not [m for m in channel.messages[before:] if m.user == harness.workspace.bot_user_id]
    # Someone not in the channel gets it in their DM instead.
    harness.sender.mention(VP, channel.id, "who owns this?")
    dm = wait_for(lambda: harness.workspace.dm_messages(VP), what="the answer in the DM")[-1]
    assert f"<@{OWNER}>" in shown(dm)


def test_an_order_opens_its_form_starting_from_what_was_said(harness: Harness) -> None:
    from datetime import UTC, datetime, timedelta
    from urllib.parse import parse_qs

    harness.workspace.users[OWNER].tz = "UTC"  # before anyone looks the owner up
    case = harness.escalate(CSM, stakeholders=[])

    def open_from(user: str, said: str) -> dict[str, Any]:
        order = answers_to(harness, user, said)
        button = next(e for b in order.blocks if b["type"] == "actions" for e in b["elements"])
        before = set(harness.workspace.views)
        harness.sender.click(user, button["action_id"], button["value"])
        view_id = wait_for(lambda: set(harness.workspace.views) - before, what="the form")
        return {
            "answer": shown(order),
            "value": button["value"],
            "view": harness.workspace.views[view_id.pop()],
        }

    # "next update at 17:00": the acknowledgement's form starts at the next 17:00 in their zone.
    opened = open_from(OWNER, f"ack {case.key}, next update at 17:00")
    now = datetime.now(UTC)
    expected = now.replace(hour=17, minute=0, second=0, microsecond=0)
    expected += timedelta(days=1) if expected <= now else timedelta(0)
    assert parse_qs(opened["value"].partition("?")[2]) == {"next_update": [str(int(expected.timestamp()))]}
    assert "It opens with the next update set for" in opened["answer"]
    picker = next(b for b in opened["view"]["blocks"] if b.get("block_id") == "next_update")["element"]
    assert picker["initial_date_time"] == int(expected.timestamp())
    assert harness.case(case.id).status == "new"  # nothing until the form is submitted

    # "reassign … to @Mona": the new owner chosen already.
    opened = open_from(MANAGER, f"reassign {case.key} to <@{VP}>")
    chooser = next(b for b in opened["view"]["blocks"] if b.get("block_id") == "new_owner")["element"]
    assert chooser["initial_user"] == VP and harness.case(case.id).owner_id == OWNER


def test_a_personal_reminder_is_set_only_when_confirmed_and_sent_once(harness: Harness) -> None:
    import sqlalchemy as sa

    from assistant.models import PersonalReminder

    case = harness.escalate(CSM, stakeholders=[])
    asked = answers_to(harness, OWNER, f"remind me in 30 minutes about {case.key} to call Bob &amp; Ana")
    assert "Remind you" in shown(asked) and f"(about {case.key})" in shown(asked)
    with harness.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(PersonalReminder)).scalar() == 0
    button = next(e for b in asked.blocks if b["type"] == "actions" for e in b["elements"])
    for _press in range(2):  # pressed twice: one reminder
        harness.sender.click(OWNER, button["action_id"], button["value"])
    wait_for(
        lambda: sum("Done: I will remind you" in m.text for m in harness.workspace.dm_messages(OWNER)) == 2,
        what="the confirmations",
    )
    with harness.engine.begin() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(PersonalReminder)).scalar() == 1
        connection.execute(sa.update(PersonalReminder).values(due_at=sa.func.current_timestamp()))
    harness.components.personal_reminders.sweep()
    harness.components.personal_reminders.sweep()  # a second sweep (or instance) sends nothing more
    reminders = [m for m in harness.workspace.dm_messages(OWNER) if "You asked me to remind you" in m.text]
    assert len(reminders) == 1
    assert "call Bob &amp; Ana" in shown(reminders[0]) and "&amp;amp;" not in shown(reminders[0])
    assert case.key in shown(reminders[0])

    # No time said: asked when; a time past the next 30 days: refused.
    assert "When?" in shown(answers_to(harness, OWNER, "remind me about this"))
    assert "next 30 days" in shown(answers_to(harness, OWNER, "remind me in 900 hours"))


def test_a_sentence_not_understood_gets_the_nearest_examples_first(harness: Harness) -> None:
    said = answers_to(harness, OWNER, "that thing, the owmer thingy")
    text = json.loads(shown(said))[0]["text"]["text"]
    examples = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(examples) == 8 and text.startswith("I did not understand that")
    assert examples[0] == "• who owns ESC-42?"  # "owmer": the nearest is who owns a case
