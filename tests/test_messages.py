"""Templates: hostile text stays text, every payload passes Block Kit validation and Slack's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.content.registry import installed
from assistant.domain.intake import DESCRIPTION_MAX, MAX_STAKEHOLDERS, SUMMARY_MAX
from assistant.domain.practice import Category, Severity
from assistant.listeners.intake import IntakeMetadata, intake_modal
from assistant.models import Escalation
from assistant.presenters.case_context import case_context, message_permalink
from assistant.rendering.escape import UnescapedUserText, UserText, escape_mrkdwn
from assistant.rendering.render import TEMPLATES, environment, render_message, render_view
from assistant.rendering.validate import InvalidPayload, check_message, check_view
from tests.harness import mrkdwn_texts

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
CASE_TEMPLATES = ["case_card", "owner_request", "feed_announcement", "reporter_confirmation"]
# What the app itself writes with angle brackets: mentions, channel links, dates.
OWN_MARKUP = re.compile(r"<@U[A-Z0-9]+>|<#[CGD][A-Z0-9]+>|<!date\^\d+\^[^|>]+\|[^>]+>")


def make_case(text: str = "Acme", **overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "id": 42,
        "team_id": "T1",
        "account_name": text,
        "summary": text,
        "description": text,
        "category": Category.BUSINESS,
        "severity": Severity.CRITICAL,
        "triggers": [t.value for t in installed().practice.triggers],
        "owner_id": "U0OWNER01",
        "reporter_id": "U0CSM0001",
        "stakeholder_ids": ["U0EXEC001"],
        "links": [["ticket", f"https://t.example/{text}"]],
        "created_at": NOW,
        "ack_due_at": NOW + timedelta(hours=2),
        "channel_id": "C0CASE001",
    }
    values.update(overrides)
    return Escalation(**values)


def assert_no_user_markup(texts: list[str]) -> None:
    for text in texts:
        assert "<" not in OWN_MARKUP.sub("", text), text


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_user_text_renders_valid_payloads_with_no_markup(text: str) -> None:
    case = case_context(make_case(text))
    for name in CASE_TEMPLATES:
        message = render_message(f"{name}.json.j2", case=case, ack_within="2 hours")
        assert_no_user_markup([message.text, *mrkdwn_texts(message.blocks)])


@pytest.mark.parametrize(
    "text",
    [
        "<!channel>",
        "<!here|here>",
        "<@U0EXEC001>",
        "<https://evil.example|Bank>",
        "{{ 7*7 }}",
        "{% raw %}",
        '"}], "x": [{"',
        "a & b > c",
    ],
)
def test_known_attacks_stay_plain(text: str) -> None:
    message = render_message("case_card.json.j2", case=case_context(make_case(text)))
    assert escape_mrkdwn(text) in message.blocks[1]["text"]["text"]
    assert_no_user_markup([message.text, *mrkdwn_texts(message.blocks)])


def test_the_longest_allowed_input_stays_within_slacks_limits() -> None:
    worst = "&" * DESCRIPTION_MAX  # every character becomes a 5-character entity
    case = make_case(
        worst,
        summary="<" * SUMMARY_MAX,
        stakeholder_ids=[f"U0EXEC{i:03d}" for i in range(MAX_STAKEHOLDERS)],
        links=[[k, "https://t.example/" + "&" * 1900] for k in ("ticket", "crm", "problem_record", "source")],
    )
    for name in CASE_TEMPLATES:
        render_message(f"{name}.json.j2", case=case_context(case), ack_within="2 hours")  # validates
    details = render_view("case_details.json.j2", case=case_context(case), account={})
    text = details["blocks"][1]["text"]["text"]  # the description, behind the card's "More details"
    assert len(text) <= 3000 and text.endswith("…") and not text.endswith("&…")


def test_the_intake_modal_is_valid_with_the_largest_prefill() -> None:
    view = intake_modal(
        content=installed(),
        metadata=IntakeMetadata(origin_channel_id="C1", reply_url="https://hooks.example/" + "x" * 400),
        ack_within_minutes=120,
        summary="s" * 500,
        description="d" * 5000,
        source_url="https://standin.slack.com/archives/C1/p1",
    )
    check_view(view)
    assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100


def test_user_text_cannot_reach_a_payload_without_the_escaping_filter() -> None:
    for source in ["{{ x|tojson }}", '{{ ("a" ~ x)|tojson }}', "{{ x }}", "{{ [x]|tojson }}"]:
        with pytest.raises(UnescapedUserText):
            environment().from_string(source).render(x=UserText("<!channel>"))


def test_every_template_value_goes_through_tojson() -> None:
    expression = re.compile(r"{{(.*?)}}", re.DOTALL)
    # Block Kit's templates; the e-mail and web page ones (.txt.j2, .html.j2) are rendered by an
    # environment that HTML-escapes every value (assistant.customer), checked by their own tests;
    # the canvas's markdown (.md.j2) by the canvas's own (user text there goes through |canvas,
    # and UserText refuses to be shown without it).
    block_kit = [p for p in TEMPLATES.glob("*.j2") if not p.name.endswith((".txt.j2", ".html.j2", ".md.j2"))]
    assert len(block_kit) > 40
    for path in block_kit:
        for found in expression.findall(path.read_text()):
            inner = found.strip()
            is_macro_call = re.match(r"^[\w.]+\(", inner) is not None
            is_separator = inner.startswith('"," if ')  # punctuation between items
            assert inner.endswith("|tojson") or is_macro_call or is_separator, (
                f"{path.name}: {{{{ {inner} }}}}"
            )


def test_validation_refuses_what_slack_refuses() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    with pytest.raises(InvalidPayload, match="51 blocks"):
        check_message("t", [section] * 51)
    with pytest.raises(InvalidPayload, match="3000"):
        check_message("t", [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    with pytest.raises(InvalidPayload, match="keys Slack does not know"):
        check_message("t", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "txet": 1}])
    with pytest.raises(InvalidPayload, match="fallback text"):
        check_message(" ", [section])
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": [section]}
    with pytest.raises(InvalidPayload, match="title"):
        check_view(modal)


def test_permalinks_for_messages_and_thread_replies() -> None:
    assert (
        message_permalink("acme", "C1", "1700000000.000100")
        == "https://acme.slack.com/archives/C1/p1700000000000100"
    )
    assert message_permalink("acme", "C1", "1700000001.000200", "1700000000.000100") == (
        "https://acme.slack.com/archives/C1/p1700000001000200?thread_ts=1700000000.000100&cid=C1"
    )
    assert message_permalink(None, "C1", "1.2") is None


def test_templates_folder_is_packaged() -> None:
    assert Path(TEMPLATES).name == "templates" and any(TEMPLATES.glob("*.json.j2"))


@pytest.mark.parametrize("status", ["new", "acknowledged", "resolved", "closed"])
def test_the_card_is_valid_in_every_status(status: str) -> None:
    case = make_case(
        status=status,
        acknowledged_by="U0OWNER01",
        acknowledged_at=NOW,
        next_update_due_at=NOW + timedelta(hours=3),
        resolved_at=NOW,
        resolution_summary="Fixed <!channel>",
        rca_due_at=NOW + timedelta(days=7),
        kind="hierarchical",
        resolving_team="Identity team",
    )
    message = render_message("case_card.json.j2", case=case_context(case))
    assert_no_user_markup([message.text, *mrkdwn_texts(message.blocks)])


def test_every_kind_of_event_reads_as_a_sentence_on_the_timeline() -> None:
    from assistant.domain.events import EventKind
    from assistant.presenters.timeline import EVENT_SENTENCES

    assert set(EVENT_SENTENCES) == set(EventKind)


def test_the_timeline_says_classifications_and_promises_in_words_not_ids() -> None:
    """Issue 23: "business, hierarchical, high" and "ack missed" were the stored ids."""
    from datetime import UTC, datetime

    from assistant.content.i18n import speaking
    from assistant.models import CaseEvent
    from assistant.presenters.timeline import timeline_lines

    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    events = [
        CaseEvent(
            escalation_id=1,
            kind="classified",
            at=at,
            actor_id="U0OWNER01",
            data={"after": {"category": "business", "kind": "hierarchical", "severity": "high"}},
        ),
        CaseEvent(escalation_id=1, kind="breach", at=at, data={"reminder": "ack_missed", "late": True}),
        CaseEvent(escalation_id=1, kind="reminder_sent", at=at, data={"reminder": "update_soon"}),
        # A category a team has since removed from its playbook: shown as stored, not an error.
        CaseEvent(escalation_id=1, kind="classified", at=at, data={"after": {"category": "legal"}}),
    ]
    english = timeline_lines(events)
    assert english[0].endswith("classified the case · Business, Hierarchical, High")
    assert english[1].endswith("a promise was missed · acknowledge the case (late)")
    assert english[2].endswith("reminder sent · send the customer the promised update")
    assert english[3].endswith("classified the case · legal")
    with speaking("pt_BR"):
        portuguese = timeline_lines(events)
    with speaking("es"):
        spanish = timeline_lines(events)
    for lines in (portuguese, spanish):
        assert "business" not in lines[0] and "hierarchical" not in lines[0] and "ack missed" not in lines[1]
    assert portuguese[0].endswith("classificou o caso · Negócio, Hierárquico, Alta")


def test_the_owners_dm_always_has_a_button_whatever_the_state() -> None:
    """Sent late (the channel slow, a manager acknowledged first), the DM offers the card's next
    step instead of an empty row of buttons."""
    from assistant.domain.status import Status

    for status in Status:
        case = case_context(make_case(status=status, channel_id=None))
        message = render_message("owner_request.json.j2", case=case, ack_within="2 hours")
        actions = next(b for b in message.blocks if b.get("block_id") == "owner_actions")
        assert actions["elements"], status
