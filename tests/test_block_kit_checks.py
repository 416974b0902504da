"""Block Kit is checked at two levels: `full` (slack_sdk's models and Slack's limits) in tests and
development, `limits` (Slack's limits alone, no model parsing) in production (BLOCK_KIT_CHECKS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.app import create_app
from assistant.content.registry import install, installed, load_content
from assistant.rendering.render import render_message, render_view
from assistant.rendering.validate import (
    CHECKS,
    Checks,
    InvalidPayload,
    block_kit_checks,
    check_message,
    check_view,
    use_block_kit_checks,
)
from assistant.settings import Settings, SettingsError, load_settings
from slack_standin import StandIn
from tests.harness import SIGNING_SECRET, app_env, make_settings

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
TYPO = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "txet": "a typo'd key"}


@pytest.fixture(autouse=True)
def level_restored() -> Iterator[None]:
    """The switch is the process's: put back what it was, for the next test in this worker."""
    before = block_kit_checks()
    yield
    use_block_kit_checks(before)


def modal(blocks: list[dict[str, Any]], title: str = "Escalate", **more: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks, **more}


def numbered(count: int) -> list[dict[str, Any]]:
    return [{**SECTION, "block_id": f"b{i}"} for i in range(count)]


def test_full_refuses_a_key_slack_does_not_know_and_limits_skips_the_model_round_trip() -> None:
    with pytest.raises(InvalidPayload, match="keys Slack does not know"):
        check_view(modal([TYPO]), level="full")
    with pytest.raises(InvalidPayload, match="keys Slack does not know"):
        check_message("fallback", [TYPO], level="full")
    check_view(modal([TYPO]), level="limits")
    check_message("fallback", [TYPO], level="limits")


def test_a_direct_check_is_full_whatever_the_switch_says() -> None:
    use_block_kit_checks("limits")
    with pytest.raises(InvalidPayload, match="keys Slack does not know"):
        check_view(modal([TYPO]))


@pytest.mark.parametrize("level", CHECKS)
def test_both_levels_refuse_what_is_over_slacks_limits(level: Checks) -> None:
    check_view(modal(numbered(100)), level=level)
    with pytest.raises(InvalidPayload, match="100"):
        check_view(modal(numbered(101)), level=level)
    check_message("fallback", numbered(50), level=level)
    with pytest.raises(InvalidPayload, match="51 blocks"):
        check_message("fallback", numbered(51), level=level)
    check_view(modal([SECTION], title="x" * 24), level=level)
    with pytest.raises(InvalidPayload, match="title"):
        check_view(modal([SECTION], title="x" * 25), level=level)
    twice = [{**SECTION, "block_id": "same"}, {**SECTION, "block_id": "same"}]
    with pytest.raises(InvalidPayload, match="duplicate block_id"):
        check_view(modal(twice), level=level)
    with pytest.raises(InvalidPayload, match="duplicate block_id"):
        check_message("fallback", twice, level=level)
    for missing in ("", "  \n"):
        with pytest.raises(InvalidPayload, match="fallback text"):
            check_message(missing, [SECTION], level=level)
    with pytest.raises(InvalidPayload, match="fallback text over 4000"):
        check_message("x" * 4001, [SECTION], level=level)


@pytest.mark.parametrize("level", CHECKS)
def test_both_levels_refuse_long_texts_metadata_and_inputs(level: Checks) -> None:
    submit = {"type": "plain_text", "text": "x" * 25}
    with pytest.raises(InvalidPayload, match="submit"):
        check_view(modal([SECTION], submit=submit), level=level)
    with pytest.raises(InvalidPayload, match="close"):
        check_view(modal([SECTION], close=submit), level=level)
    with pytest.raises(InvalidPayload, match="private_metadata"):
        check_view(modal([SECTION], private_metadata="m" * 3001), level=level)
    check_view(modal([SECTION], private_metadata="m" * 3000), level=level)
    long_text = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with pytest.raises(InvalidPayload, match="3000"):
        check_message("fallback", [long_text], level=level)
    element = {"type": "plain_text_input", "action_id": "a", "max_length": 3001}
    field = {
        "type": "input",
        "block_id": "f",
        "label": {"type": "plain_text", "text": "F"},
        "element": element,
    }
    with pytest.raises(InvalidPayload, match="max_length"):
        check_view(modal([field]), level=level)
    check_view(modal([{**field, "element": {**element, "max_length": 3000}}]), level=level)


@pytest.mark.parametrize("level", CHECKS)
def test_both_levels_refuse_what_slacks_blocks_cannot_hold(level: Checks) -> None:
    """What production's guard checks without slack_sdk's models (a bug there would reach Slack,
    which refuses the whole message or view)."""
    button = {"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "B"}}
    too_much: dict[str, dict[str, Any]] = {
        "header over 150": {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        "11 context elements": {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        "11 section fields": {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
        "button text over 75": {
            "type": "actions",
            "elements": [{**button, "text": {"type": "plain_text", "text": "b" * 76}}],
        },
        "101 options": {
            "type": "actions",
            "elements": [
                {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [
                        {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(101)
                    ],
                }
            ],
        },
        "action_id over 255": {"type": "actions", "elements": [{**button, "action_id": "a" * 256}]},
    }
    for what, block in too_much.items():
        with pytest.raises(InvalidPayload, match=r"."):  # each is refused (else: {what} let through)
            check_message(f"fallback: {what}", [block], level=level)
    check_message(
        "fallback", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}], level=level
    )


def test_rendering_checks_at_the_level_in_effect(tmp_path: Path) -> None:
    # A team's own template with a typo'd key: only the model round trip finds it.
    templates = tmp_path / "messages" / "templates"
    templates.mkdir(parents=True)
    (templates / "notice_modal.json.j2").write_text(
        '{"type": "modal", "title": {"type": "plain_text", "text": {{ title|tojson }}},\n'
        ' "blocks": [{"type": "section", "txet": 1,\n'
        '             "text": {"type": "mrkdwn", "text": {{ text|tojson }}}}]}\n'
    )
    before = installed()
    install(load_content(tmp_path))
    try:
        use_block_kit_checks("full")
        with pytest.raises(InvalidPayload, match="keys Slack does not know"):
            render_view("notice_modal.json.j2", title="Done", text="Thanks")
        use_block_kit_checks("limits")
        view = render_view("notice_modal.json.j2", title="Done", text="Thanks")
        assert view["blocks"][0]["txet"] == 1
        with pytest.raises(InvalidPayload, match="title"):  # the limits still hold
            render_view("notice_modal.json.j2", title="x" * 25, text="Thanks")
    finally:
        install(before)
    # Ours are valid at both levels.
    for level in CHECKS:
        use_block_kit_checks(level)
        assert render_view("notice_modal.json.j2", title="Done", text="Thanks")["type"] == "modal"
        assert render_message("feed_unavailable.json.j2", feed="C1", error="not_in_channel").text


def test_the_switch_takes_only_the_two_levels() -> None:
    with pytest.raises(ValueError, match="full"):
        use_block_kit_checks("none")  # type: ignore[arg-type]
    assert use_block_kit_checks("limits") in CHECKS
    assert use_block_kit_checks("full") == "limits"


def test_the_setting_defaults_to_limits_and_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BLOCK_KIT_CHECKS", raising=False)
    tokens = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "_env_file": None}
    assert Settings(**tokens).block_kit_checks == "limits"  # type: ignore[arg-type]
    monkeypatch.setenv("BLOCK_KIT_CHECKS", "full")
    assert Settings(**tokens).block_kit_checks == "full"  # type: ignore[arg-type]
    monkeypatch.setenv("BLOCK_KIT_CHECKS", "some")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    with pytest.raises(SettingsError, match="BLOCK_KIT_CHECKS is not valid"):
        load_settings(_env_file=None)


def test_an_app_with_default_settings_checks_limits_and_the_tests_check_in_full(
    standin: StandIn, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLOCK_KIT_CHECKS", raising=False)
    default = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token=standin.workspace.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=standin.api_url,
        database_url=database_url,
    )
    use_block_kit_checks("full")
    _, components = create_app(default)
    components.close()
    assert block_kit_checks() == "limits"

    tests = make_settings(standin, database_url)
    assert tests.block_kit_checks == "full"
    _, components = create_app(tests)
    components.close()
    assert block_kit_checks() == "full"
    assert app_env(standin, database_url)["BLOCK_KIT_CHECKS"] == "full"
