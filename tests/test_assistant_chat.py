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
