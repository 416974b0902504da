"""The 24-hour judgement tier, end to end: account data changes, the CSM is asked once by DM,
and answers Escalate (the intake, prefilled) or Not now (a reason, counted in the digest)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.ids import CaseAction
from assistant.services.judgement import judged_between
from tests.harness import (
    CSM,
    OWNER,
    ROOT,
    Harness,
    default_intake,
    env_without_slack,
    load_directory,
    run_cli,
    wait_for,
)

T0 = datetime.now(UTC) - timedelta(days=5)
HEADER = "name,crm_id,contract_value,currency,csm,health,contacts,language,timezone\n"
ACME = (
    '"Acme, Inc.",0015A,120000,USD,U0CSM0001,{health},"Ana Souza <ana@acme.com.br>, CTO",pt_BR,'
    "America/Sao_Paulo\n"
)
SMALL = "Tiny Co,0015T,9000,USD,U0CSM0001,{health},,,\n"


def load(harness: Harness, health: int, at: datetime, small: int | None = None) -> int:
    text = HEADER + ACME.format(health=health) + (SMALL.format(health=small) if small is not None else "")
    return load_directory(harness, text, at).raised


def questions(harness: Harness) -> list[list[dict[str, Any]]]:
    return [
        m.blocks
        for m in harness.workspace.dm_messages(CSM)
        if m.blocks is not None and "judgement_actions" in json.dumps(m.blocks)
    ]


def click(harness: Harness, action: str, blocks: list[dict[str, Any]]) -> None:
    buttons = next(b for b in blocks if b.get("block_id") == "judgement_actions")["elements"]
    value = next(b["value"] for b in buttons if b["action_id"] == action)
    harness.mark(CSM)
    harness.sender.click(CSM, action, value, channel_id=harness.workspace.ims.get(CSM) or CSM)


def test_a_health_drop_on_an_enterprise_account_asks_its_csm_once_per_drop(harness: Harness) -> None:
    assert load(harness, 45, T0, small=45) == 0
    assert load(harness, 25, T0 + timedelta(days=3), small=10) == 1  # Tiny Co is not enterprise
    assert harness.components.judgement.sweep() == 1
    [question] = questions(harness)
    said = json.dumps(question, ensure_ascii=False)
    assert "Acme, Inc.'s health fell from 45 to 25 within a week." in said
    assert "An enterprise account ($120,000) whose health falls below 30 in a week" in said
    assert harness.components.judgement.sweep() == 0  # asked once
    assert load(harness, 20, T0 + timedelta(days=4)) == 0  # still the same drop

    # Not now: a reason, kept and counted.
    views = len(harness.workspace.views)
    click(harness, CaseAction.JUDGEMENT_DECLINE, question)
    wait_for(lambda: len(harness.workspace.views) > views, what="the reason modal")
    view_id = list(harness.workspace.views)[-1]
    assert json.loads(harness.submit(CSM, view_id, reason="").body)["errors"] == {
        "reason": "Say why: the digest counts it."
    }
    harness.submit(CSM, view_id, reason="Their CFO already has a call with ours on Friday.")
    assert judged_between(harness.components.engine, T0, datetime.now(UTC) + timedelta(minutes=1)) == (0, 1)
    click(harness, CaseAction.JUDGEMENT_ESCALATE, question)  # answered once: told so, privately
    assert harness.answer(CSM) == "Already answered: not now."

    # It recovers, then drops again: asked again; this time the CSM escalates.
    assert load(harness, 55, T0 + timedelta(days=4, hours=1)) == 0
    assert load(harness, 22, T0 + timedelta(days=5)) == 1
    assert harness.components.judgement.sweep() == 1
    second = questions(harness)[-1]
    assert "fell from 55 to 22" in json.dumps(second)
    views = len(harness.workspace.views)
    click(harness, CaseAction.JUDGEMENT_ESCALATE, second)
    wait_for(lambda: len(harness.workspace.views) > views, what="the intake modal")
    view_id = list(harness.workspace.views)[-1]
    blocks = {b.get("block_id"): b for b in harness.workspace.views[view_id]["blocks"]}
    assert blocks["account"]["element"]["initial_option"]["value"] == "Acme, Inc."
    assert blocks["account_value"]["element"]["initial_value"] == "USD 120000"
    assert blocks["category"]["element"]["initial_option"]["value"] == "relationship"
    assert blocks["contacts"]["element"]["initial_value"] == "Ana Souza <ana@acme.com.br>, CTO"
    assert blocks["summary"]["element"]["initial_value"] == "Health score fell below the threshold"
    response = harness.sender.submit_view(
        CSM,
        view_id,
        {
            k: v
            for k, v in default_intake(owner=OWNER, contact_zone="America/Sao_Paulo").items()
            if k not in {"account", "account_value", "summary", "category"}
        },
    )
    assert response.status == 200 and not response.body, response.body
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case")
    assert (case.account_name, case.account_value, case.category) == ("Acme, Inc.", 120000, "relationship")
    # The request is answered "escalated" once the case is stored (its own write, just after).
    wait_for(
        lambda: (
            judged_between(harness.components.engine, T0, datetime.now(UTC) + timedelta(minutes=1)) == (1, 1)
        ),
        what="the request answered",
    )

    harness.wait_provisioned(case.id)  # the feed's announcement first, then the digest
    harness.components.digest.post_now()
    assert "escalated 1 · judged and declined 1" in json.dumps(
        harness.feed.messages[-1].blocks, ensure_ascii=False
    )


def test_a_third_missed_qbr_and_a_lost_decision_maker_are_asked_about(harness: Harness) -> None:
    load(harness, 70, T0)
    env = env_without_slack(harness)
    for _missed in (1, 2):
        done = run_cli(["accounts", "signal", "--account", "crm:0015A", "--kind", "qbr_missed"], env, ROOT)
        assert "0 signal(s)" in done.stdout, done.stderr
    third = run_cli(["accounts", "signal", "--account", "Acme Inc", "--kind", "qbr_missed"], env, ROOT)
    assert third.stdout.strip() == "qbr_missed recorded for Acme, Inc.; 1 signal(s) for a CSM's judgement"
    left = run_cli(
        [
            "accounts",
            "signal",
            "--account",
            "crm:0015A",
            "--kind",
            "stakeholder_left",
            "--detail",
            "decision_maker",
        ],
        env,
        ROOT,
    )
    assert "1 signal(s)" in left.stdout
    unknown = run_cli(["accounts", "signal", "--account", "crm:nope", "--kind", "qbr_held"], env, ROOT)
    assert unknown.returncode == 1 and "no account 'crm:nope'" in unknown.stderr
    assert harness.components.judgement.sweep() == 2
    said = [json.dumps(q) for q in questions(harness)]
    assert any("missed 3 QBRs in a row" in s for s in said)
    assert any("lost its decision maker (decision_maker)" in s for s in said)
