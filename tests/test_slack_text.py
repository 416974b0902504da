"""Slack's text as Slack sends it: decoded on the way in, escaped exactly once on the way out.

Pure rules first, then the message shortcut end to end with an encoded message, one made only of
attachments and files, and an org-wide install (no team domain: chat.getPermalink).
"""

from __future__ import annotations

import json
from typing import cast

import pytest

from assistant.domain.channel_names import channel_name
from assistant.domain.intake import IntakeField
from assistant.domain.slack_text import decode_slack_text, mentioned_users, message_text
from assistant.ids import Shortcut
from assistant.models import Escalation
from slack_standin.workspace import Message
from tests.harness import CSM, EXEC, OWNER, Harness, default_intake, wait_for

ENCODED = (
    "Q3 P&amp;L for Acme is wrong &lt;again&gt;: see "
    "<https://acme.example.com/dash?a=1&amp;b=2|the dashboard> "
    "and <https://acme.example.com/raw>; cc <@U0OWNER01> <@W0GRID001|kim> in <#C0123ABC|general>, "
    "<!here> <!subteam^S0123|@cs-leads> <mailto:cfo@acme.example|cfo@acme.example>"
)


def test_slack_encoding_is_decoded_once() -> None:
    assert decode_slack_text(ENCODED, {"U0OWNER01": "Sarah Miller"}) == (
        "Q3 P&L for Acme is wrong <again>: see the dashboard (https://acme.example.com/dash?a=1&b=2) "
        "and https://acme.example.com/raw; cc @Sarah Miller @kim in #general, "
        "@here @cs-leads cfo@acme.example"
    )
    assert mentioned_users(ENCODED) == ["U0OWNER01", "W0GRID001"]
    # Decoding is not done twice: text that was typed as "&amp;" stays so once decoded.
    assert decode_slack_text("R&amp;amp;D") == "R&amp;D"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"text": "plain"}, "plain"),
        (
            {
                "text": "",
                "attachments": [
                    {
                        "fallback": "[Alert] CPU 98% on db-1",
                        "pretext": "PagerDuty",
                        "title": "CPU 98% on db-1",
                        "title_link": "https://pd.example/i/1",
                        "text": "Triggered &amp; unacknowledged",
                        "fields": [{"title": "Service", "value": "Billing"}],
                    },
                    {"fallback": "Only a fallback"},
                ],
            },
            "PagerDuty\nCPU 98% on db-1 (https://pd.example/i/1)\nTriggered & unacknowledged\n"
            "Service: Billing\n\nOnly a fallback",
        ),
        (
            {
                "text": "See the export",
                "files": [
                    {"name": "export.csv", "title": "Export", "permalink": "https://x.slack.com/files/F1"}
                ],
            },
            "See the export\n\nFile: Export (https://x.slack.com/files/F1)",
        ),
    ],
)
def test_a_message_keeps_its_attachments_and_files(message: dict, expected: str) -> None:
    assert message_text(message) == expected


def test_channel_names_never_come_from_urls() -> None:
    summary = decode_slack_text("P&amp;L wrong again, see <https://acme.example.com/q3/pnl|dashboard>")
    name = channel_name("esc-{number}-{account}-{summary}", number=1, account="Acme", summary=summary)
    assert name == "esc-1-acme-p-l-wrong-again-see-dashboard"
    bare = channel_name(
        "esc-{number}-{account}-{summary}", number=2, account="Acme", summary="see https://x.io/a-b"
    )
    assert name and bare == "esc-2-acme-see"


def shortcut_form(harness: Harness, message: Message) -> dict:
    harness.general.messages.append(message)
    before = len(harness.workspace.views)
    response = harness.sender.message_shortcut(CSM, harness.general.id, message.ts, Shortcut.ESCALATE_MESSAGE)
    assert response.status == 200
    wait_for(lambda: len(harness.workspace.views) > before, what="views.open")
    view = list(harness.workspace.views.values())[-1]
    return {b.get("block_id"): b for b in view["blocks"]} | {"_id": view["id"]}


def initial(form: dict, field: str) -> str:
    return form[field]["element"].get("initial_value", "")


def test_the_message_shortcut_prefills_decoded_text_and_the_card_escapes_it_once(harness: Harness) -> None:
    form = shortcut_form(harness, Message("1700000000.000100", EXEC, ENCODED))
    summary, description = initial(form, IntakeField.SUMMARY), initial(form, IntakeField.DESCRIPTION)
    assert summary.startswith("Q3 P&L for Acme is wrong <again>: see the dashboard (https://")
    assert "cc @Sarah Miller" in description  # the mention became the person's name
    harness.sender.submit_view(
        CSM, form["_id"], default_intake(summary=summary[:150], description=description)
    )
    # cases() is non-empty once wait_for returns, so the value is the last case, not the list.
    case = cast(Escalation, wait_for(lambda: harness.cases() and harness.cases()[-1], what="the case"))
    case = harness.wait_provisioned(case.id)
    card = json.dumps(harness.channel_of(case).messages[0].blocks, ensure_ascii=False)
    assert "P&amp;L" in card and "&lt;again&gt;" in card  # escaped once: readers see P&L and <again>
    assert "&amp;amp;" not in card and "&amp;lt;" not in card and "<https://" not in card
    assert "https" not in harness.channel_of(case).name and "example" not in harness.channel_of(case).name


def test_a_message_of_attachments_and_files_keeps_its_content(harness: Harness) -> None:
    message = Message(
        "1700000000.000200",
        EXEC,
        "",
        attachments=[
            {"fallback": "[Alert] Billing API 500s", "title": "Billing API 500s", "text": "since 09:12"}
        ],
        files=[
            {
                "id": "F1",
                "name": "trace.txt",
                "title": "trace.txt",
                "permalink": "https://standin.slack.com/files/F1",
            }
        ],
    )
    form = shortcut_form(harness, message)
    assert initial(form, IntakeField.SUMMARY) == "Billing API 500s"
    description = initial(form, IntakeField.DESCRIPTION)
    assert (
        "since 09:12" in description and "File: trace.txt (https://standin.slack.com/files/F1)" in description
    )


def test_an_org_wide_install_gets_the_permalink_from_slack(harness: Harness) -> None:
    harness.workspace.org_wide_install = True  # payloads carry team: null, is_enterprise_install: true
    form = shortcut_form(harness, Message("1700000000.000300", OWNER, "Acme is down"))
    assert initial(form, IntakeField.LINK_SOURCE) == (
        f"https://standin.slack.com/archives/{harness.general.id}/p1700000000000300"
    )
    assert harness.workspace.calls_to("chat.getPermalink")
