"""Requests from Slack to the app: signed slash commands, shortcuts, interactions, events.

The bodies follow Slack's formats (form-encoded commands, `payload=` JSON for
interactivity, JSON events) and carry `X-Slack-Signature` as Slack computes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from slack_standin.workspace import Workspace

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class AppResponse:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    def __init__(self, workspace: Workspace, app_url: str, signing_secret: str, standin_url: str) -> None:
        self.workspace = workspace
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.standin_url = standin_url

    # -- transport ----------------------------------------------------------

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> AppResponse:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        request = urllib.request.Request(
            self.app_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature or sign(self.signing_secret, ts, body),
                **(headers or {}),
            },
        )
        try:
            with _NO_PROXY.open(request, timeout=30) as response:
                return AppResponse(response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            return AppResponse(exc.code, exc.read().decode())

    def _form(self, fields: dict[str, Any], **kwargs: Any) -> AppResponse:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def _interaction(self, payload: dict[str, Any]) -> AppResponse:
        return self._form({"payload": json.dumps(payload)})

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.workspace.users[user_id]
        team = user.team_id or self.workspace.team_id  # a Slack Connect guest is from another team
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": team}

    def _team(self) -> dict[str, str] | None:
        """The payload's team: null for an org-wide install (Slack sends the enterprise instead)."""
        if self.workspace.org_wide_install:
            return None
        return {"id": self.workspace.team_id, "domain": self.workspace.domain}

    def _enterprise(self) -> dict[str, Any] | None:
        if not self.workspace.org_wide_install:
            return None
        return {"id": self.workspace.enterprise_id, "name": "Stand-in Org"}

    # -- what users do ------------------------------------------------------

    def slash_command(
        self,
        user_id: str,
        text: str = "",
        *,
        channel_id: str = "CGENERAL",
        command: str = "/escalate",
        channel_name: str = "general",
        trigger_id: str | None = None,
    ) -> AppResponse:
        fields = {
            "token": "deprecated-verification-token",
            "team_id": self.workspace.team_id,
            "team_domain": self.workspace.domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": self.workspace.users[user_id].name,
            "command": command,
            "text": text,
            "api_app_id": "ASTANDIN",
            "is_enterprise_install": str(self.workspace.org_wide_install).lower(),
            "enterprise_id": self.workspace.enterprise_id if self.workspace.org_wide_install else "",
            "response_url": self.workspace.issue_response_url(self.standin_url, channel_id, user_id),
            "trigger_id": trigger_id or self.workspace.issue_trigger(),
        }
        return self._form(fields)

    def message_shortcut(
        self, user_id: str, channel_id: str, message_ts: str, callback_id: str
    ) -> AppResponse:
        channel = self.workspace.channels[channel_id]
        message = channel.message(message_ts)
        assert message is not None, "the message must exist in the stand-in"
        return self._interaction(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "trigger_id": self.workspace.issue_trigger(),
                "response_url": self.workspace.issue_response_url(self.standin_url, channel_id, user_id),
                "team": self._team(),
                "channel": {"id": channel_id, "name": channel.name},
                "user": self._user(user_id),
                "message_ts": message_ts,
                "message": message.to_api(with_metadata=False),
                "api_app_id": "ASTANDIN",
                "token": "deprecated-verification-token",
                "is_enterprise_install": self.workspace.org_wide_install,
                "enterprise": self._enterprise(),
            }
        )

    def submit_view(self, user_id: str, view_id: str, values: dict[str, Any]) -> AppResponse:
        """Submit an open modal with `values` as {block_id: value}, typed by each element."""
        view = self.workspace.views[view_id]
        state = view_state(view, values)
        submitted = {**view, "state": {"values": state}}
        return self._interaction(
            {
                "type": "view_submission",
                "team": self._team(),
                "user": self._user(user_id),
                "view": submitted,
                "api_app_id": "ASTANDIN",
                "token": "deprecated-verification-token",
                "trigger_id": self.workspace.issue_trigger(),
                "response_urls": [],
                "is_enterprise_install": self.workspace.org_wide_install,
                "enterprise": self._enterprise(),
            }
        )

    def choose(self, user_id: str, view_id: str, block_id: str, chosen: str | list[str]) -> AppResponse:
        """Choose people in a user select of an open modal whose input block dispatches its action
        (`dispatch_action`): Slack tells the app at once, before the form is submitted."""
        view = self.workspace.views[view_id]
        block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
        if not block.get("dispatch_action"):
            raise ValueError(f"Slack sends no action for {block_id}: its block does not dispatch one")
        element = block["element"]
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if element["type"] == "users_select":
            action["selected_user"] = chosen
        elif element["type"] == "multi_users_select":
            action["selected_users"] = list(chosen)
        else:
            raise ValueError(f"{block_id} is a {element['type']}, not a user select")
        return self._view_action(user_id, view, action, view_state(view, {block_id: chosen}))

    def press_in_view(self, user_id: str, view_id: str, block_id: str, action_id: str) -> AppResponse:
        """Press a button of an actions block in an open modal (the form's state goes with it)."""
        view = self.workspace.views[view_id]
        block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
        button = next(e for e in block["elements"] if e["action_id"] == action_id)
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "value": button.get("value", ""),
            "text": button["text"],
            "action_ts": f"{time.time():.6f}",
        }
        return self._view_action(user_id, view, action, view_state(view, {}))

    def select_in_view(self, user_id: str, view_id: str, block_id: str, value: str) -> AppResponse:
        """Choose an option of a static select in an actions block of an open modal: Slack tells
        the app at once (the form's state goes with it)."""
        view = self.workspace.views[view_id]
        block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
        element = next(e for e in block["elements"] if e["type"] == "static_select")
        action = {
            "type": "static_select",
            "action_id": element["action_id"],
            "block_id": block_id,
            "selected_option": _option(element, value),
            "action_ts": f"{time.time():.6f}",
        }
        return self._view_action(user_id, view, action, view_state(view, {}))

    def suggest(self, user_id: str, view_id: str, action_id: str, typed: str) -> AppResponse:
        """Type into an external select of an open modal: Slack asks the app for its options."""
        view = self.workspace.views[view_id]
        return self._interaction(
            {
                "type": "block_suggestion",
                "team": self._team(),
                "user": self._user(user_id),
                "view": view,
                "action_id": action_id,
                "block_id": action_id,
                "value": typed,
                "api_app_id": "ASTANDIN",
                "token": "deprecated-verification-token",
                "is_enterprise_install": self.workspace.org_wide_install,
                "enterprise": self._enterprise(),
            }
        )

    def click(
        self,
        user_id: str,
        action_id: str,
        value: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        block_id: str = "actions",
        selected_value: str | None = None,
    ) -> AppResponse:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": "ASTANDIN",
            "token": "deprecated-verification-token",
            "trigger_id": self.workspace.issue_trigger(),
            "actions": [_action(action_id, block_id, value, selected_value)],
            "is_enterprise_install": self.workspace.org_wide_install,
            "enterprise": self._enterprise(),
        }
        if channel_id:
            payload["channel"] = {"id": channel_id, "name": channel_id}
            payload["container"] = {
                "type": "message",
                "channel_id": channel_id,
                "message_ts": message_ts,
                "is_ephemeral": False,
            }
            payload["response_url"] = self.workspace.issue_response_url(self.standin_url, channel_id, user_id)
            if message_ts:
                payload["message"] = {"ts": message_ts, "type": "message"}
        return self._interaction(payload)

    def home_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        selected_option: str | None = None,
        selected_user: str | None = None,
    ) -> AppResponse:
        """A click or a choice on the user's published Home tab (no response_url, as in Slack)."""
        view = self.workspace.home_views[user_id]
        element = next(
            e
            for block in view["blocks"]
            for e in [*block.get("elements", []), block.get("accessory") or {}]
            if e.get("action_id") == action_id and (value is None or e.get("value") == value)
        )
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "home",
            "type": element["type"],
            "action_ts": f"{time.time():.6f}",
        }
        if element["type"] == "button":
            action["value"] = element.get("value")
        elif element["type"] == "users_select":
            action["selected_user"] = selected_user
        else:
            option = next(o for o in element["options"] if o["value"] == selected_option)
            action["selected_option"] = option
        return self._view_action(user_id, view, action, {})

    def _view_action(
        self, user_id: str, view: dict[str, Any], action: dict[str, Any], state: dict[str, Any]
    ) -> AppResponse:
        """A block_actions from an element of a view (a modal, a Home tab), with the view's state."""
        return self._interaction(
            {
                "type": "block_actions",
                "team": self._team(),
                "user": self._user(user_id),
                "api_app_id": "ASTANDIN",
                "token": "deprecated-verification-token",
                "trigger_id": self.workspace.issue_trigger(),
                "container": {"type": "view", "view_id": view["id"]},
                "view": {**view, "state": {"values": state}},
                "actions": [action],
                "is_enterprise_install": self.workspace.org_wide_install,
                "enterprise": self._enterprise(),
            }
        )

    def direct_message(self, user_id: str, text: str) -> AppResponse:
        """Someone writes to the app in its Messages tab: Slack's `message` event (message.im)."""
        with self.workspace.lock:
            channel = self.workspace._im(user_id)
        message = self.workspace.post_as(user_id, channel.id, text)
        return self.event(
            {"type": "message", "channel_type": "im", "channel": channel.id, "user": user_id,
             "text": text, "ts": message.ts, "event_ts": message.ts}
        )  # fmt: skip

    def mention(self, user_id: str, channel_id: str, text: str) -> AppResponse:
        """Someone writes @app in a channel: Slack's app_mention event."""
        message = self.workspace.post_as(user_id, channel_id, f"<@{self.workspace.bot_user_id}> {text}")
        return self.event(
            {"type": "app_mention", "channel": channel_id, "user": user_id, "text": message.text,
             "ts": message.ts, "event_ts": message.ts}
        )  # fmt: skip

    def channel_message(self, user_id: str, channel_id: str, text: str) -> tuple[str, AppResponse]:
        """Someone writes in a channel the app is in (`text` in Slack's encoding): Slack's `message`
        event (message.channels, message.groups); and, for each link on an unfurl domain of the
        app's, `link_shared`. The message's ts, and the message event's answer."""
        message = self.workspace.post_as(user_id, channel_id, text)
        channel = self.workspace.channels[channel_id]
        answer = AppResponse(200, "")  # Slack sends message events only from channels the app is in
        if self.workspace.bot_user_id in channel.members:
            answer = self.event(
                {"type": "message", "channel_type": "group" if channel.is_private else "channel",
                 "channel": channel_id, "user": user_id, "text": text, "ts": message.ts,
                 "event_ts": message.ts}
            )  # fmt: skip
        links = [
            {"url": url, "domain": urlsplit(url).netloc}
            for url in re.findall(r"<(https?://[^>|]+)(?:\|[^>]*)?>", text)
            if urlsplit(url).netloc in self.workspace.unfurl_domains
        ]
        if links:
            self.event(
                {"type": "link_shared", "channel": channel_id, "is_bot_user_member": True, "user": user_id,
                 "message_ts": message.ts, "unfurl_id": f"{channel_id}.{message.ts}.standin",
                 "source": "conversations_history", "event_ts": message.ts, "links": links}
            )  # fmt: skip
        return message.ts, answer

    def assistant_thread_started(self, user_id: str, beside: str | None = None) -> tuple[str, str]:
        """Someone opens the app in Slack's assistant panel (beside channel `beside`): Slack's
        assistant_thread_started event. The thread's IM channel and ts."""
        channel_id, thread_ts = self.workspace.start_assistant_thread(user_id)
        context = {"channel_id": beside, "team_id": self.workspace.team_id} if beside else {}
        self.event(
            {"type": "assistant_thread_started", "event_ts": f"{time.time():.6f}",
             "assistant_thread": {"user_id": user_id, "context": context, "channel_id": channel_id,
                                  "thread_ts": thread_ts}}
        )  # fmt: skip
        return channel_id, thread_ts

    def assistant_message(self, user_id: str, channel_id: str, thread_ts: str, text: str) -> AppResponse:
        """Someone asks in the panel's thread: a message.im event in that thread."""
        message = self.workspace.post_as(user_id, channel_id, text)
        message.thread_ts = thread_ts
        return self.event(
            {"type": "message", "channel_type": "im", "channel": channel_id, "user": user_id, "text": text,
             "ts": message.ts, "thread_ts": thread_ts, "event_ts": message.ts}
        )  # fmt: skip

    def function_executed(self, callback_id: str, inputs: dict[str, Any]) -> tuple[str, AppResponse]:
        """A workflow reaches one of the app's custom steps: Slack's function_executed event, with
        the run's own token (bot_access_token). The run's id, and the event's answer."""
        run = self.workspace.start_function_run(callback_id, inputs)
        declared = self.workspace.functions.get(callback_id) or {}
        function = {
            "id": f"Fn{callback_id[:8].upper()}", "callback_id": callback_id,
            "title": declared.get("title", callback_id), "description": declared.get("description", ""),
            "type": "app", "app_id": "ASTANDIN", "date_created": 1700000000, "date_updated": 1700000000,
            "date_deleted": 0,
        }  # fmt: skip
        answer = self.event(
            {"type": "function_executed", "function": function, "inputs": inputs,
             "function_execution_id": run["id"], "workflow_execution_id": f"Wx{run['id'][2:]}",
             "event_ts": f"{time.time():.6f}", "bot_access_token": run["token"]}
        )  # fmt: skip
        return run["id"], answer

    def reaction(
        self, user_id: str, channel_id: str, ts: str, name: str, *, added: bool = True
    ) -> AppResponse:
        """Someone adds (or removes) an emoji reaction on a message: Slack's reaction_added event."""
        message = self.workspace.channels[channel_id].message(ts)
        assert message is not None, "the message must exist in the stand-in"
        return self.event(
            {
                "type": "reaction_added" if added else "reaction_removed",
                "user": user_id,
                "reaction": name,
                "item_user": message.user,
                "item": {"type": "message", "channel": channel_id, "ts": ts},
                "event_ts": f"{time.time():.6f}",
            }
        )

    def _ext_shared(self, event: dict[str, Any]) -> bool:
        """Slack says on every event whether its channel is shared with another organization."""
        item = event.get("item")
        channel_id = event.get("channel") or (item.get("channel") if isinstance(item, dict) else None)
        channel = self.workspace.channels.get(str(channel_id or ""))
        return bool(channel and channel.is_ext_shared)

    def event(self, event: dict[str, Any], *, retry_num: int | None = None) -> AppResponse:
        body = json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": self.workspace.team_id,
                "api_app_id": "ASTANDIN",
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "is_ext_shared_channel": self._ext_shared(event),
                "event": event,
            }
        ).encode()
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, "application/json", headers=headers)


def _action(action_id: str, block_id: str, value: str, selected_value: str | None) -> dict[str, Any]:
    """A button click, or (with selected_value) a choice in an overflow menu."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "action_ts": f"{time.time():.6f}"}
    if selected_value is None:
        return {**action, "type": "button", "value": value}
    return {
        **action,
        "type": "overflow",
        "selected_option": {"value": selected_value, "text": {"type": "plain_text", "text": selected_value}},
    }


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Slack's view.state.values for the given inputs, shaped by each element's type."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        block_id, action_id, kind = block["block_id"], element["action_id"], element["type"]
        # As in Slack, a field the person left alone is submitted with its initial value.
        value = values[block_id] if block_id in values else _initial_value(element)
        entry: dict[str, Any] = {"type": kind}
        if kind in {"plain_text_input", "url_text_input", "email_text_input", "number_input"}:
            entry["value"] = value if value not in ("",) else None
        elif kind in {"static_select", "radio_buttons"}:
            entry["selected_option"] = _option(element, value) if value else None
        elif kind == "external_select":
            # The option the app offered for what the person typed: its value and text.
            entry["selected_option"] = (
                {"value": value, "text": {"type": "plain_text", "text": value}} if value else None
            )
        elif kind == "multi_external_select":
            entry["selected_options"] = [
                {"value": v, "text": {"type": "plain_text", "text": v}} for v in (value or [])
            ]
        elif kind in {"checkboxes", "multi_static_select"}:
            entry["selected_options"] = [_option(element, v) for v in (value or [])]
        elif kind == "users_select":
            entry["selected_user"] = value
        elif kind == "conversations_select":
            entry["selected_conversation"] = value
        elif kind == "multi_users_select":
            entry["selected_users"] = list(value or [])
        elif kind == "datetimepicker":
            entry["selected_date_time"] = value
        elif kind == "datepicker":
            entry["selected_date"] = value
        else:
            raise ValueError(f"the sender does not know element type {kind}")
        state[block_id] = {action_id: entry}
    # A value for a field the form does not have is a test's mistake (a renamed block), not a
    # person's: Slack could not send it, so the submission would quietly use the defaults.
    unknown = sorted(set(values) - set(state))
    if unknown:
        raise ValueError(f"the form has no input for {', '.join(unknown)} (it has {', '.join(state)})")
    return state


def _initial_value(element: dict[str, Any]) -> Any:
    if "initial_option" in element and element.get("type") == "external_select":
        return element["initial_option"]["value"]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_options" in element:
        return [option["value"] for option in element["initial_options"]]
    for key in (
        "initial_value",
        "initial_user",
        "initial_users",
        "initial_date_time",
        "initial_date",
        "initial_conversation",
    ):
        if key in element:
            return element[key]
    return None


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    for option in element.get("options", []):
        if option["value"] == value:
            return option
    raise ValueError(f"{value!r} is not an option of {element['action_id']}")


class SocketModeSender(SlackSender):
    """The same requests, delivered as Socket Mode envelopes over the app's WebSocket.

    What the app acknowledges with (a modal's errors, say) comes back as the
    response body, as it does over HTTP.
    """

    def __init__(self, workspace: Workspace, server: Any, standin_url: str) -> None:
        super().__init__(workspace, "", "", standin_url)
        self.server = server

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> AppResponse:
        text = body.decode()
        if content_type.startswith("application/json"):
            kind, payload = "events_api", json.loads(text)
        else:
            fields = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
            if "payload" in fields:
                kind, payload = "interactive", json.loads(fields["payload"])
            else:
                kind, payload = "slash_commands", fields
        envelope = self.server.send(kind, payload)
        if envelope.acked_at is None:
            return AppResponse(504, "no ack")
        ack = envelope.ack or {}
        return AppResponse(200, json.dumps(ack) if ack else "")
