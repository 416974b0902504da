"""Links that show what they point to (issue 24, part 5): a case link on the app's own site
unfurls wherever it is posted; a case key, a case channel's mention or a link to it, written in a
channel the app is in, gets the same compact live summary in its thread. A private case shows only
that it is restricted outside its own channel, and nothing is summarised where a customer reads."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import CSM, OWNER, VP, Harness, seed_workspace, start_harness, wait_for

SITE = "https://esc.example.com"


@pytest.fixture(params=["http", "socket"])
def linked(database_url: str, request: pytest.FixtureRequest) -> Iterator[Harness]:
    running = start_harness(database_url, seed_workspace, mode=request.param, public_base_url=SITE)
    running.workspace.unfurl_domains = {"esc.example.com"}
    try:
        yield running
    finally:
        running.stop()


def shown(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def unfurled(harness: Harness, channel_id: str, ts: str, url: str) -> str:
    message = harness.workspace.channels[channel_id].message(ts)
    assert message is not None
    return shown(wait_for(lambda: message.unfurls.get(url), what=f"the unfurl of {url}")["blocks"])


def thread_replies(harness: Harness, channel_id: str, ts: str) -> list[Any]:
    return [m for m in harness.workspace.channels[channel_id].messages if m.thread_ts == ts]


def test_case_links_keys_and_channels_show_a_live_summary_private_cases_stay_private(linked: Harness) -> None:
    harness = linked
    case = harness.escalate(CSM, summary="Logins fail for <admins> & SSO users", stakeholders=[])
    private = harness.escalate(
        CSM, account="Initech", summary="Data exposed", triggers=["data_breach"], stakeholders=[]
    )
    general = harness.general.id
    # The app reads messages only in channels it was invited to (a team's own, here).
    team_room = harness.workspace.add_channel("cs-team", members=[VP, CSM, harness.workspace.bot_user_id]).id
    own_channel = harness.channel_of(case)

    # A case link in any channel: its summary, user text escaped exactly once.
    link = f"{SITE}/cases/{case.key}"
    ts, _ = harness.sender.channel_message(VP, general, f"FYI <{link}>")
    summary = unfurled(harness, general, ts, link)
    assert case.key in summary and "Acme" in summary and f"<@{OWNER}>" in summary
    assert "Logins fail for &lt;admins&gt; &amp; SSO users" in summary and "&amp;amp;" not in summary
    assert "New" in summary

    # A private case's link, outside its channel: restricted, nothing of its account or summary.
    secret = f"{SITE}/cases/{private.key}"
    ts, _ = harness.sender.channel_message(VP, general, f"and <{secret}|this one>")
    restricted = unfurled(harness, general, ts, secret)
    assert (
        "restricted case" in restricted and "Initech" not in restricted and "Data exposed" not in restricted
    )
    # In its own channel, its people see it whole.
    private_channel = harness.channel_of(private).id
    ts, _ = harness.sender.channel_message(OWNER, private_channel, f"<{secret}>")
    assert "Data exposed" in unfurled(harness, private_channel, ts, secret)

    # A key written out, or the case channel mentioned: the summary in the message's thread, once.
    general = team_room
    ts, _ = harness.sender.channel_message(VP, general, f"Is {case.key} the same as esc-{private.id}?")
    replies = wait_for(lambda: thread_replies(harness, general, ts), what="the summary in the thread")
    assert len(replies) == 1
    both = shown(replies[0].blocks)
    assert "Logins fail" in both and "restricted case" in both and "Initech" not in both
    ts, _ = harness.sender.channel_message(VP, general, f"See <#{own_channel.id}|{own_channel.name}>")
    assert "Logins fail" in shown(
        wait_for(lambda: thread_replies(harness, general, ts), what="by channel")[0].blocks
    )

    # In a case's own channel its own key needs no summary; nothing is answered to chatter.
    ts, answer = harness.sender.channel_message(OWNER, own_channel.id, f"Working on {case.key} now")
    assert answer.status == 200
    ts_other, _ = harness.sender.channel_message(OWNER, own_channel.id, f"Related: {private.key}")
    wait_for(lambda: thread_replies(harness, own_channel.id, ts_other), what="the other case's summary")
    assert thread_replies(harness, own_channel.id, ts) == []

    # A channel shared with a customer: no case is summarised there, by link or by key.
    shared = harness.workspace.add_channel(
        "acme-shared", members=[CSM, harness.workspace.bot_user_id], ext_shared=True
    )
    ts_key, _ = harness.sender.channel_message(CSM, shared.id, f"Tracking as {case.key}")
    ts_link, _ = harness.sender.channel_message(CSM, shared.id, f"<{link}>")
    ts_after, _ = harness.sender.channel_message(VP, general, f"{case.key}?")
    wait_for(lambda: thread_replies(harness, general, ts_after), what="a later summary elsewhere")
    assert thread_replies(harness, shared.id, ts_key) == []
    message = shared.message(ts_link)
    assert message is not None and message.unfurls == {}


def test_a_case_link_opens_its_channel_and_an_unknown_one_is_not_found(linked: Harness) -> None:
    harness = linked
    case = harness.wait_provisioned(harness.escalate(CSM, stakeholders=[]).id)
    base = harness.server.url

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(f"{base}/cases/{case.key}")
    assert moved.value.code == 302
    assert (
        moved.value.headers["Location"]
        == f"https://slack.com/app_redirect?channel={case.channel_id}&team={harness.workspace.team_id}"
    )
    with pytest.raises(urllib.error.HTTPError) as missing:
        opener.open(f"{base}/cases/ESC-99999")
    assert missing.value.code == 404


def test_what_a_message_names_is_read_from_keys_mentions_and_links() -> None:
    from assistant.domain.case_links import case_number_in_link, references_in

    refs = references_in(
        "esc-4 and ESC-4 again, <#C0CASE1|esc-7-acme>, "
        "<https://acme.slack.com/archives/C0CASE2/p1700000000000100|there>, "
        "<https://esc.example.com/cases/ESC-9>, not ESC-12b nor order#ESC-3 nor /ESC-5 "
    )
    assert refs.case_numbers == [4]
    assert refs.channel_ids == ["C0CASE2", "C0CASE1"]
    assert not references_in("Escalated twice, 5 tickets")
    assert case_number_in_link("https://ESC.example.com/cases/esc-42/", SITE) == 42
    assert case_number_in_link("https://esc.example.com.evil.io/cases/ESC-42", SITE) is None
    assert case_number_in_link("https://esc.example.com/other/ESC-42", SITE) is None
    assert case_number_in_link("https://esc.example.com/cases/ESC-42", None) is None
    assert case_number_in_link("https://acme.com/esc/cases/ESC-7", "https://acme.com/esc/") == 7
