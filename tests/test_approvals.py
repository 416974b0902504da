"""Approvals and concessions (issue 23, A7): the playbook names the steps that need an approval (a
concession to the customer; the customer-facing RCA for accounts above a value). The approvers get
a DM with Approve / Reject and a reason; nothing stands or goes out before approval; all of it is
on the timeline. Concessions are recorded with their value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.content.paths import content_dir
from assistant.domain.approvals import ApprovalRule, approvers
from assistant.presenters.timeline import timeline_lines
from assistant.services import customer
from tests.harness import CSM, MANAGER, OWNER, VP, FlowButton, Harness, wait_for
from tests.mailbox import Mailbox
from tests.stories import acknowledged, resolved
from tests.test_customer_end import emailing


def blocks_text(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def open_form(harness: Harness, user: str, action: str, value: str, channel_id: str, ts: str) -> str:
    views = len(harness.workspace.views)
    harness.sender.click(
        user, action, value, channel_id=channel_id, message_ts=ts, block_id="approval_actions"
    )
    wait_for(lambda: len(harness.workspace.views) > views, what="the decision form")
    return list(harness.workspace.views)[-1]


def approval_dm(harness: Harness, approver: str, words: str) -> Any:
    return wait_for(
        lambda: [m for m in harness.workspace.dm_messages(approver) if words in blocks_text(m.blocks)],
        what=f"{approver} asked to approve",
    )[-1]


def button(message: Any, action_id: str) -> dict[str, Any]:
    return next(
        e for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == action_id
    )  # fmt: skip


def test_a_concession_waits_for_its_approver_and_is_recorded_with_its_value(harness: Harness) -> None:
    harness.workspace.add_usergroup("cs-leadership", [VP])
    case = acknowledged(harness, stakeholders=[])
    view_id = harness.open_flow(OWNER, case, FlowButton.CONCESSION)
    errors = harness.submit(OWNER, view_id, kind="credit", value="A credit", amount="two thousand").json()
    assert errors["errors"] == {
        "amount": "Write the amount as a number, like 2000 or USD 2,000.",
        "reason": "Say why the customer should get it.",
    }
    harness.submit(
        OWNER, view_id, kind="credit", value="Credit on the next invoice", amount="2,000",
        reason="Two days without SSO.",
    )  # fmt: skip
    channel = harness.channel_of(case)
    wait_for(
        lambda: any("waits for approval" in blocks_text(m.blocks) for m in channel.messages),
        what="the channel told it waits",
    )
    asked = approval_dm(harness, VP, "Credit on the next invoice")
    text = blocks_text(asked.blocks)
    assert "Service credit" in text and "$2,000" in text and "Two days without SSO." in text
    requested = next(e for e in harness.events(case.id) if e.kind == "concession_requested")
    assert requested.data["amount"] == 2000 and requested.data["currency"] == "USD"
    # Nothing stands before approval: the details say it waits.
    assert "waiting for approval" in harness.details(CSM, case)

    # The one who asked may not decide it; the approver rejects with a reason (one is required).
    approve = button(asked, "approval_approve")
    view_id = open_form(
        harness, OWNER, "approval_approve", approve["value"], harness.workspace.ims[OWNER], asked.ts
    )
    refused = harness.submit(OWNER, view_id).json()
    assert refused["errors"] == {"reason": "Only the approvers named for it may decide: @cs-leadership."}
    reject = button(asked, "approval_reject")
    view_id = open_form(harness, VP, "approval_reject", reject["value"], harness.workspace.ims[VP], asked.ts)
    assert harness.submit(VP, view_id).json()["errors"] == {"reason": "Say why it is rejected."}
    harness.submit(VP, view_id, reason="Offer a one-month extension instead.")
    wait_for(
        lambda: any("rejected" in blocks_text(m.blocks) and "one-month extension" in blocks_text(m.blocks)
                    for m in channel.messages),
        what="the channel told it was rejected",
    )  # fmt: skip
    # A second decision on the same request is refused: it was decided.
    view_id = open_form(
        harness, VP, "approval_approve", approve["value"], harness.workspace.ims[VP], asked.ts
    )
    assert harness.submit(VP, view_id).json()["errors"]["reason"].startswith("It was decided already")

    # Asked again, approved: recorded as granted, with its value.
    view_id = harness.open_flow(OWNER, case, FlowButton.CONCESSION)
    harness.submit(
        OWNER, view_id, kind="extension", value="One month added to the contract",
        reason="As leadership said.",
    )  # fmt: skip
    asked = approval_dm(harness, VP, "One month added to the contract")
    view_id = open_form(
        harness,
        VP,
        "approval_approve",
        button(asked, "approval_approve")["value"],
        harness.workspace.ims[VP],
        asked.ts,
    )
    harness.submit(VP, view_id)
    wait_for(
        lambda: any(e.kind == "approval_decided" and e.data["approved"] for e in harness.events(case.id)),
        what="the approval",
    )
    details = harness.details(CSM, case)
    assert "Contract or trial extension" in details and "approved by" in details
    timeline = "\n".join(timeline_lines(harness.events(case.id)))
    assert "asked for a concession" in timeline and "rejected" in timeline and "approved" in timeline


def team_playbook(folder: Path) -> Path:
    """Ours, with the customer-facing RCA of accounts above 25,000 needing approval."""
    text = (content_dir("flows") / "playbook.yml").read_text(encoding="utf-8")
    text = text.replace("  # customer_rca:\n", "  customer_rca:\n").replace(
        "  #   approvers: [cs-leadership]\n  #   accounts_above: 25000",
        "    approvers: [cs-leadership]\n    accounts_above: 25000",
    )
    assert "    accounts_above: 25000" in text
    (folder / "flows").mkdir(parents=True, exist_ok=True)
    (folder / "flows" / "playbook.yml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def approving(database_url: str, mailbox: Mailbox, tmp_path: Path) -> Iterator[Harness]:
    running = emailing(database_url, mailbox, custom_dir=team_playbook(tmp_path))
    yield running
    running.stop()
    from assistant.content.registry import install_folder

    install_folder(None)


def test_an_enterprise_customers_rca_goes_out_only_once_approved(
    approving: Harness, mailbox: Mailbox
) -> None:
    harness = approving
    harness.workspace.add_usergroup("cs-leadership", [MANAGER])
    case = resolved(harness, contacts="Ana Souza <ana@acme.com.br>, CTO", stakeholders=[])  # worth $120k
    before = len(mailbox.wait(2, timeout=10))  # the acknowledgement and the resolution
    view_id = harness.open_flow(OWNER, case, FlowButton.RCA)
    due = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    rca = {
        "what_happened": "The SAML certificate expired.", "root_cause": "Renewal was manual.",
        "cause_area": "process", "corrective_1_description": "Automate renewal", "corrective_1_owner": OWNER,
        "corrective_1_due": due, "customer_rca": "A certificate expired; we renewed it and now watch it.",
    }  # fmt: skip
    # Sending it yourself cannot wait for an approval: refused next to the choice.
    errors = harness.submit(OWNER, view_id, **rca, send_by="myself").json()["errors"]
    assert errors["send_by"].startswith("This account's customer-facing RCA needs approval")
    harness.submit(OWNER, view_id, **rca, send_by="email")
    asked = approval_dm(harness, MANAGER, "A certificate expired")
    held = customer.communications_of(harness.components.engine, case.id or 0)
    assert [c.state for c in held if c.purpose == "rca"] == ["held"]
    assert len(mailbox.messages) == before  # nothing went out

    # Written again while it waits: the first never goes, the second waits in its place.
    view_id = harness.open_flow(OWNER, case, FlowButton.RCA)
    harness.submit(
        OWNER, view_id, **{**rca, "customer_rca": "A certificate expired; renewal is now automatic."},
        send_by="email",
    )  # fmt: skip
    second = approval_dm(harness, MANAGER, "renewal is now automatic")
    states = [c.state for c in customer.communications_of(harness.components.engine, case.id or 0)]
    assert [s for s in states if s in ("held", "withdrawn")] == ["withdrawn", "held"]
    view_id = open_form(
        harness, MANAGER, "approval_approve", button(asked, "approval_approve")["value"],
        harness.workspace.ims[MANAGER], asked.ts,
    )  # fmt: skip
    assert harness.submit(MANAGER, view_id).json()["errors"]["reason"].startswith("It was decided already")

    view_id = open_form(
        harness, MANAGER, "approval_approve", button(second, "approval_approve")["value"],
        harness.workspace.ims[MANAGER], second.ts,
    )  # fmt: skip
    harness.submit(MANAGER, view_id, reason="Clear and accurate.")
    delivered = mailbox.wait(before + 1, timeout=10)
    assert "renewal is now automatic" in str(delivered[-1])
    assert not any("we renewed it and now watch it" in str(m) for m in mailbox.messages)
    assert any(e.kind == "approval_decided" and e.actor_id == MANAGER for e in harness.events(case.id))


def test_who_decides_and_for_which_accounts() -> None:
    assert approvers(["U1", "U2"], ["M"], "U1") == (["U2"], True)  # never one's own request
    assert approvers(["U1"], ["M", "U1"], "U1") == (["M"], False)  # the managers, when no one else
    assert approvers([], [], "U1") == (["U1"], False)  # a one-person team
    enterprise = ApprovalRule(("cs-leadership",), accounts_above=25000)
    assert not enterprise.applies_to(20000) and enterprise.applies_to(30000)
    assert enterprise.applies_to(None)  # an unknown value: the safe side
    assert ApprovalRule().applies_to(1)
