"""The voice of the customer (issue 23, the guidance's "do not escalate"): logged in one step with
no case, owner or channel, kept with its account, counted in the weekly digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from assistant.domain.commands import Ask, read_command
from assistant.ids import ViewId
from assistant.services.voice import log_voice, voices_between
from tests.harness import CSM, Harness, wait_for


def test_voc_is_its_own_word_with_its_text() -> None:
    asked = read_command("voc Acme wants dark mode", frozenset({"ack"}))
    assert (asked.ask, asked.text) == (Ask.VOICE, "Acme wants dark mode")
    assert read_command("voice", frozenset()).ask == Ask.VOICE
    assert read_command("vocc", frozenset()).word == "voc"  # a near miss: "did you mean"


def test_a_csm_logs_what_a_customer_said_without_opening_a_case(harness: Harness) -> None:
    general = harness.general
    # As Slack sends what was typed: "&", "<" and ">" encoded.
    harness.command(CSM, "voc the CSV export is slow &amp; &lt;b&gt;clunky&lt;/b&gt;", general.id)
    view_id, view = wait_for(
        lambda: next(
            ((i, v) for i, v in harness.workspace.views.items() if v["callback_id"] == ViewId.VOICE), None
        ),
        what="the voice-of-the-customer form",
    )
    said = next(b for b in view["blocks"] if b.get("block_id") == "voice_text")["element"]["initial_value"]
    assert said == "the CSV export is slow & <b>clunky</b>"  # decoded once from Slack's encoding

    # Every problem next to its field.
    errors = harness.sender.submit_view(CSM, view_id, {"voice_text": "", "voice_link": "ftp://x"}).json()[
        "errors"
    ]
    assert errors == {
        "account": "Name the customer's account.",
        "voice_text": "Write what the customer said.",
        "voice_link": "Enter a web address starting with https://, or leave it empty.",
    }
    response = harness.sender.submit_view(
        CSM, view_id, {"account": "Acme & Co", "voice_link": "https://support.example.com/t/7"}
    )
    assert response.status == 200 and not response.body
    answer = harness.answer(CSM)
    assert answer == (  # the account's name escaped once
        ":speech_balloon: Logged as the voice of the customer for *Acme &amp; Co*: it is counted in the "
        "weekly digest. No case was opened."
    )
    assert harness.cases() == []  # no case, owner or channel
    heard = voices_between(harness.engine, datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC))
    assert (heard.count, heard.by_account) == (1, (("Acme & Co", 1),))


def test_the_weekly_digest_counts_the_voice_of_the_customer_by_account(harness: Harness) -> None:
    now = datetime.now(UTC)
    for account, when in (("Acme", 1), ("ACME Inc.", 2), ("Globex", 3), ("Initech", 10)):
        log_voice(
            harness.engine, account=account, text="wants dark mode", reporter_id=CSM, team_id=None,
            now=now - timedelta(days=when),
        )  # fmt: skip
    digest = harness.components.digest.post_now(now=now)
    assert digest.voices.count == 3  # the one ten days ago is last week's
    # Acme's two spellings count as one account, named as last written.
    assert dict(digest.voices.by_account) == {"Acme": 2, "Globex": 1}
    posted = json.dumps(harness.feed.messages[-1].blocks, ensure_ascii=False)
    assert (
        "*Voice of the customer* (logged, not escalated)\\nlogged this week: 3 · Acme 2, Globex 1" in posted
    )
