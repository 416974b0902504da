"""manifest.yml: valid, in step with the code's ids, granting exactly the scopes the code needs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from assistant.ids import COMMAND, Shortcut
from slack_standin.reference import ARGUMENT_SCOPES, BOT_SCOPES, ERRORS, REQUIRED_ARGS

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "slack-api"
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
# slack_sdk names methods `conversations_setTopic`: family, underscore, Slack's own name.
CALL = re.compile(
    r"\.(assistant|auth|bookmarks|canvases|chat|conversations|files|functions|pins|reactions|usergroups|users|views)"
    r"_((?:canvases_|sections_|threads_)?[A-Za-z]+)(?:_v2)?\("
)
# slack_sdk helpers that make several Web API calls.
SDK_HELPERS = {"files.upload": {"files.getUploadURLExternal", "files.completeUploadExternal"}}
# Methods Slack documents as needing no scope ("no_scope_required" in its reference).
SCOPE_FREE = {
    "auth.test",
    "chat.getPermalink",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
    "functions.completeSuccess",
    "functions.completeError",
}

# The events the app listens to (`@app.event("…")`), and the scope Slack sends each one with.
EVENT = re.compile(r"""@app\.event\(["']([a-z_]+)["']\)""")
EVENT_SCOPES = {
    "app_home_opened": None,
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "link_shared": "links:read",
    "function_executed": None,
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}
# The app listens to `message` in its DMs (questions) and in the channels it is in (case keys).
SUBSCRIBED_AS = {"message": ("message.im", "message.channels", "message.groups")}

needs_shared = pytest.mark.skipif(
    not SHARED.exists(), reason="../shared/slack-api is not beside this checkout"
)


def methods_called_by_the_app() -> set[str]:
    found = set()
    for path in (ROOT / "assistant").rglob("*.py"):
        for family, name in CALL.findall(path.read_text()):
            if family == "functions" and not name.startswith("complete"):
                continue  # a function of ours named functions_…, not Slack's
            method = f"{family}.{name.replace('_', '.')}"
            found |= SDK_HELPERS.get(method, {method})
    return found


def events_listened_to() -> set[str]:
    sources = [path.read_text() for path in (ROOT / "assistant").rglob("*.py")]
    found = {e for text in sources for e in EVENT.findall(text)}
    if any("@app.function(" in text for text in sources):  # a custom step runs on function_executed
        found.add("function_executed")
    if any("app.use(assistant)" in text for text in sources):  # Bolt's Assistant: the panel's events
        found |= {"assistant_thread_started", "assistant_thread_context_changed"}
    return {name for e in found for name in SUBSCRIBED_AS.get(e, (e,))}


def manifest_scopes() -> set[str]:
    return set(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_the_scan_finds_the_calls_we_know_we_make() -> None:
    called = methods_called_by_the_app()
    assert {
        "conversations.create",
        "conversations.invite",
        "chat.postMessage",
        "pins.add",
        "views.open",
        "users.info",
    } <= called


def test_every_method_the_code_calls_is_granted_by_a_declared_scope() -> None:
    scopes = manifest_scopes()
    for method in sorted(methods_called_by_the_app()):
        if method in SCOPE_FREE:
            continue
        assert method in BOT_SCOPES, f"{method}: add its scopes to slack_standin/reference.py"
        allowed = BOT_SCOPES[method]
        assert allowed & scopes, f"{method} needs one of {sorted(allowed)}"
        # Case channels may be private (security cases): need the private variant too.
        if any(s.startswith("channels:") for s in allowed) and any(s.startswith("groups:") for s in allowed):
            assert {s for s in allowed if s.startswith("groups:")} & scopes, f"{method}: private channels"


def test_no_scope_is_declared_that_the_code_does_not_use() -> None:
    called = methods_called_by_the_app()
    used = set().union(*(BOT_SCOPES[m] for m in called if m in BOT_SCOPES))
    # Scopes for what a call carries: the owner's name on customer messages, their e-mail for replies.
    used |= {scope for scope, method in ARGUMENT_SCOPES.items() if method in called}
    used |= {scope for event in events_listened_to() if (scope := EVENT_SCOPES[event])}
    unused = manifest_scopes() - used - {"commands"}  # commands: the slash command and shortcut
    assert not unused


def test_manifest_ids_match_the_code() -> None:
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [COMMAND]
    shortcuts = {s["callback_id"] for s in MANIFEST["features"]["shortcuts"]}
    assert shortcuts == {s.value for s in Shortcut}
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    # Subscribed to exactly what is listened to (each event with its scope granted).
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == events_listened_to()


@needs_shared
def test_manifest_validates_against_slacks_schema() -> None:
    import jsonschema

    schema = json.loads((SHARED / "manifest.schema.json").read_text())
    jsonschema.validate(MANIFEST, schema)


@needs_shared
def test_the_stand_in_agrees_with_slacks_reference() -> None:
    """Required arguments, error codes and scopes copied into the stand-in match Slack's."""
    for method, required in REQUIRED_ARGS.items():
        reference = json.loads((SHARED / "methods" / f"{method}.json").read_text())
        assert set(required) == set(reference["args"].get("required", [])) - {"token"}, method
        assert ERRORS.get(method, frozenset()) <= set(reference.get("errors", {})), method
        assert BOT_SCOPES.get(method, frozenset()) == set((reference.get("scope") or {}).get("bot") or []), (
            method
        )


def test_the_workflow_steps_declared_are_the_ones_the_app_runs() -> None:
    from assistant.listeners import workflow_steps

    ran = {workflow_steps.OPEN_ESCALATION, workflow_steps.POST_CUSTOMER_UPDATE, workflow_steps.GET_STATUS}
    assert set(MANIFEST["functions"]) == ran
    assert MANIFEST["settings"]["org_deploy_enabled"] is True  # Slack runs custom steps of org-ready apps
    assert MANIFEST["settings"]["function_runtime"] == "remote"


def test_the_pacer_knows_the_tier_of_every_limited_method_the_app_calls() -> None:
    """A method the pacer does not know is never paced: Slack would answer it with 429s."""
    from assistant.slack.pacing import TIERS as PACED
    from slack_standin.reference import TIERS as SLACKS

    for method in methods_called_by_the_app():
        tier = SLACKS.get(method)
        if tier in {"t1", "t2", "t3"}:
            assert PACED.get(method) == int(tier[1]), method
