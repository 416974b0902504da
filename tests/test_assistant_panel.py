"""Slack's assistant panel (issue 24, part 1): a thread started there is greeted with suggested
prompts from the person's own open cases; a question sets a status while it is answered, titles
the thread, and gets the same answer as in a DM, about the case of the channel it is beside."""

from __future__ import annotations

import json

from slack_standin.workspace import User
from tests.harness import CSM, OWNER, Harness, wait_for


def test_the_panel_suggests_the_persons_cases_and_answers_beside_a_case_channel(any_harness: Harness) -> None:
    harness = any_harness
    case = harness.escalate(CSM, stakeholders=[])
    channel = harness.channel_of(case)
    workspace = harness.workspace

    im, thread = harness.sender.assistant_thread_started(OWNER, beside=channel.id)
    state = workspace.assistant_threads[(im, thread)]
    prompts = wait_for(lambda: state["prompts"], what="the suggested prompts")
    assert prompts[0] == {"title": f"Status of {case.key}", "message": f"status {case.key}"}
    assert {p["title"] for p in prompts[1:]} == {"What is due today?", "My cases"}
    greeting = [
        m
        for m in workspace.channels[im].messages
        if m.thread_ts == thread and m.user == workspace.bot_user_id
    ]
    assert greeting and greeting[0].text.startswith("Hi! Ask me about your escalations")

    # Beside the case channel, "status" needs no key; the thread gets a title; the status clears.
    harness.sender.assistant_message(OWNER, im, thread, "what's the status?")
    answer = wait_for(
        lambda: [
            m
            for m in workspace.channels[im].messages
            if m.thread_ts == thread and m.text.startswith(case.key)
        ],
        what="the answer in the thread",
    )[0]
    assert "New" in json.dumps(answer.blocks)
    assert state["title"] == "what's the status?" and state["status"] is None
    assert any(
        c.args.get("status") == "is looking it up…" for c in workspace.calls_to("assistant.threads.setStatus")
    )

    # In the person's language, and an order still only opens its form.
    workspace.add_user(
        User("U0JOANA01", "joana", "Joana Lima", "CSM", "America/Sao_Paulo", -10800, locale="pt-BR")
    )
    im_pt, thread_pt = harness.sender.assistant_thread_started("U0JOANA01")
    state_pt = workspace.assistant_threads[(im_pt, thread_pt)]
    assert wait_for(lambda: state_pt["prompts"], what="prompts in Portuguese")[-1]["title"] == "Meus casos"
    harness.sender.assistant_message("U0JOANA01", im_pt, thread_pt, f"reconhecer {case.key}")
    order = wait_for(
        lambda: [m for m in workspace.channels[im_pt].messages if m.thread_ts == thread_pt and m.blocks],
        what="the order's answer",
    )[-1]
    assert "case_acknowledge" in json.dumps(order.blocks) and harness.case(case.id).status == "new"
