"""The stand-in's workspace: state and the Web API methods that act on it."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_standin.blockkit import MAX_MESSAGE_BLOCKS, blocks_problem, view_problem
from slack_standin.canvases import MAX_MARKDOWN, Canvas, parse
from slack_standin.reference import ARGUMENT_SCOPES, REQUIRED_ARGS

TRIGGER_LIFETIME_SECONDS = 3.0
_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")


class SlackError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class User:
    id: str
    name: str
    real_name: str
    title: str = ""
    tz: str = "America/New_York"
    tz_offset: int = -18000
    is_bot: bool = False
    deleted: bool = False
    is_admin: bool = False
    # The language the person chose in Slack (users.info says so with include_locale=true).
    locale: str = "en-US"
    # In the profile only for an app with users:read.email, as in Slack.
    email: str = ""
    # Another organization's person, in a Slack Connect channel (None: this workspace's).
    team_id: str | None = None

    def to_api(self, include_locale: bool = False) -> dict[str, Any]:
        return {
            **({"locale": self.locale} if include_locale else {}),
            "id": self.id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_admin": self.is_admin,
            "is_owner": False,
            "tz": self.tz,
            "tz_offset": self.tz_offset,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "title": self.title,
                "image_72": f"https://avatars.standin.example/{self.id}_72.png",
                **({"email": self.email} if self.email else {}),
            },
            **({"team_id": self.team_id} if self.team_id else {}),
        }


@dataclass
class Message:
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    edited: int = 0
    # What integrations post: legacy attachments, and shared files.
    attachments: list[dict[str, Any]] | None = None
    files: list[dict[str, Any]] | None = None
    # Posted under another name and picture (chat:write.customize).
    username: str | None = None
    icon_url: str | None = None
    # chat.unfurl's previews, by URL (each a dict of blocks), as Slack shows under the message.
    unfurls: dict[str, Any] = field(default_factory=dict)
    thread_ts: str | None = None

    def to_api(self, with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user, "text": self.text}
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.attachments:
            out["attachments"] = self.attachments
        if self.files:
            out["files"] = self.files
        if with_metadata and self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    creator: str
    created: int
    is_im: bool = False
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""
    messages: list[Message] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    # Shared with another organization (Slack Connect).
    is_ext_shared: bool = False
    canvas_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_ext_shared": self.is_ext_shared,
            "is_shared": self.is_ext_shared,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "created": self.created,
            "creator": self.creator,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": self.creator, "last_set": self.created},
            "purpose": {"value": self.purpose, "creator": self.creator, "last_set": self.created},
        }

    def message(self, ts: str) -> Message | None:
        return next((m for m in self.messages if m.ts == ts), None)


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    started: float
    ended: float = 0.0
    status: int = 200
    error: str | None = None


@dataclass
class Fault:
    method: str
    times: int
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    # Only slow: do the work, answer after `delay` seconds (a client may have given up).
    delay: float = 0.0
    # Only calls whose arguments include these (e.g. {"channel": "U123"}: one person's DMs).
    match: dict[str, str] = field(default_factory=dict)

    def applies(self, method: str, args: dict[str, Any]) -> bool:
        return (
            self.method == method
            and self.times > 0
            and all(_matches(args, k, v) for k, v in self.match.items())
        )


def _matches(args: dict[str, Any], key: str, wanted: str) -> bool:
    """`key: value` equals; `key: value*` starts with; `key~: value` contains."""
    if key.endswith("~"):
        return wanted in str(args.get(key[:-1]) or "")
    value = str(args.get(key))
    return value.startswith(wanted[:-1]) if wanted.endswith("*") else value == wanted


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None


class Workspace:
    """All state of one fake Slack workspace; every method runs under one lock."""

    def __init__(self, team_id: str = "T0STANDIN", domain: str = "standin") -> None:
        self.team_id = team_id
        self.domain = domain
        # An app installed across an Enterprise Grid org: payloads carry team: null (no domain).
        self.org_wide_install = False
        self.enterprise_id = "E0STANDIN"
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self.bot_token = "xoxb-standin-bot-token"
        self.app_token = "xapp-standin-app-token"
        self.bot_user_id = "UBOT00001"
        self.bot_id = "BBOT00001"
        self.users: dict[str, User] = {}
        # Slack user groups ("@legal"): id -> {"handle", "name", "users"}.
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.ims: dict[str, str] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, tuple[float, bool]] = {}
        self.response_urls: dict[str, tuple[str, str]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.uploads: dict[str, bytes | None] = {}
        self.base_url = "http://127.0.0.1/"
        self.calls: list[Call] = []
        # A SocketModeServer when the app is tested in Socket Mode.
        self.socket_mode: Any = None
        self.faults: list[Fault] = []
        self.latency: dict[str, float] = {}
        self.default_latency = 0.0
        # Slack's per-method rate limits (slack_standin.rate_limits), when a test turns them on.
        self.rate_limits: Any = None
        # Scopes that change what a method does rather than whether it may be called.
        self.granted_scopes: set[str] = set(ARGUMENT_SCOPES)
        self.canvases: dict[str, Canvas] = {}
        # The app's custom steps (its manifest's `functions`), and each run of one: a workflow
        # token of its own, its state (running, completed, failed), its outputs or error.
        self.functions: dict[str, dict[str, Any]] = {}
        self.function_runs: dict[str, dict[str, Any]] = {}
        # The assistant panel's threads: (IM channel, thread ts) -> status, prompts, title.
        self.assistant_threads: dict[tuple[str, str], dict[str, Any]] = {}
        # False: the workspace's plan has no channel canvases (Slack's own error says so).
        self.canvases_enabled = True
        # The app's unfurl domains (its manifest's features.unfurl_domains): links there send link_shared.
        self.unfurl_domains: set[str] = set()
        self.add_user(User(self.bot_user_id, "escalations", "Escalations", is_bot=True))

    # -- set-up -------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def add_usergroup(self, handle: str, users: list[str], name: str = "") -> str:
        with self.lock:
            group_id = self._id("S")
            self.usergroups[group_id] = {
                "handle": handle,
                "name": name or handle.title(),
                "users": list(users),
            }
            return group_id

    def add_user(self, user: User) -> User:
        with self.lock:
            self.users[user.id] = user
        return user

    def add_channel(
        self,
        name: str,
        *,
        members: list[str] | None = None,
        is_private: bool = False,
        ext_shared: bool = False,
    ) -> Channel:
        with self.lock:
            channel = Channel(
                id=self._id("G" if is_private else "C"),
                name=name,
                is_private=is_private,
                creator="USYSTEM",
                created=int(time.time()),
                members=list(members or []),
                is_ext_shared=ext_shared,
            )
            self.channels[channel.id] = channel
            return channel

    def issue_trigger(self) -> str:
        with self.lock:
            trigger = f"{next(self._ids)}.{int(time.time())}.standintrigger"
            self.triggers[trigger] = (time.monotonic(), False)
            return trigger

    def issue_response_url(self, base_url: str, channel: str, user: str) -> str:
        with self.lock:
            token = self._id("R")
            self.response_urls[token] = (channel, user)
            return f"{base_url}_response/{token}"

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        match: dict[str, str] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (whose arguments `match`) fail: an error, a 429, a 5xx."""
        with self.lock:
            self.faults.append(Fault(method, times, status, error, retry_after, match=dict(match or {})))

    def slow(
        self, method: str, seconds: float, *, times: int = 1, match: dict[str, str] | None = None
    ) -> None:
        """Make the next `times` calls of `method` take effect but answer `seconds` late."""
        with self.lock:
            self.faults.append(Fault(method, times, delay=seconds, match=dict(match or {})))

    def take_fault(self, method: str, args: dict[str, Any] | None = None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.applies(method, args or {}):
                    fault.times -= 1
                    return fault
        return None

    def latency_for(self, method: str) -> float:
        return self.latency.get(method, self.default_latency)

    # -- reading state, for tests ------------------------------------------

    def channel_named(self, name: str) -> Channel | None:
        with self.lock:
            return next((c for c in self.channels.values() if c.name == name), None)

    def dm_messages(self, user: str) -> list[Message]:
        with self.lock:
            channel_id = self.ims.get(user)
            return list(self.channels[channel_id].messages) if channel_id else []

    def ephemerals_for(self, user: str) -> list[Ephemeral]:
        with self.lock:
            return [e for e in self.ephemerals if e.user == user]

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def case_channels(self) -> list[Channel]:
        with self.lock:
            return [c for c in self.channels.values() if c.creator == self.bot_user_id and not c.is_im]

    # -- dispatch -----------------------------------------------------------

    def handle(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Run one Web API method; returns Slack's JSON body (ok true or false)."""
        impl: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "m_" + method.replace(".", "_"), None
        )
        if impl is None or method not in REQUIRED_ARGS:
            return {"ok": False, "error": "unknown_method"}
        if not token:
            return {"ok": False, "error": "not_authed"}
        # A step's run gives the app a workflow token (xwfp-…), good while the run is.
        workflow_token = any(r["token"] == token for r in self.function_runs.values())
        if (
            token != (self.app_token if method == "apps.connections.open" else self.bot_token)
            and not workflow_token
        ):
            return {"ok": False, "error": "invalid_auth"}
        args = {**args, "_token": token}
        missing = [a for a in REQUIRED_ARGS[method] if args.get(a) in (None, "")]
        if missing:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": [f"[ERROR] missing required field: {missing[0]}"]},
            }
        with self.lock:
            try:
                body = impl(args)
            except SlackError as exc:
                return {"ok": False, "error": exc.code, **exc.extra}
        return {"ok": True, **body}

    # -- helpers ------------------------------------------------------------

    def _channel(self, channel_id: Any) -> Channel:
        # People are U… ids, or W… on Enterprise Grid: either is a DM target (Slack opens the IM).
        if isinstance(channel_id, str) and channel_id[:1] in {"U", "W"} and channel_id in self.users:
            return self._im(channel_id)
        channel = self.channels.get(str(channel_id))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _im(self, user_id: str) -> Channel:
        if user_id not in self.ims:
            channel = Channel(
                id=self._id("D"),
                name=user_id,
                is_private=True,
                creator=self.bot_user_id,
                created=int(time.time()),
                is_im=True,
                members=[user_id, self.bot_user_id],
            )
            self.channels[channel.id] = channel
            self.ims[user_id] = channel.id
        return self.channels[self.ims[user_id]]

    def _member_channel(self, channel_id: Any) -> Channel:
        channel = self._channel(channel_id)
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def post_as(self, user_id: str, channel_id: str, text: str) -> Message:
        """A person writes in a channel (as Slack keeps it: `text` already in Slack's encoding)."""
        with self.lock:
            message = Message(self._next_ts(), user_id, text)
            self.channels[channel_id].messages.append(message)
            return message

    @staticmethod
    def _json_arg(args: dict[str, Any], name: str) -> Any:
        value = args.get(name)
        if isinstance(value, str) and value:
            try:
                return json.loads(value)
            except ValueError as exc:
                raise SlackError(f"invalid_{name}_format") from exc
        return value

    def _message_content(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
        blocks = self._json_arg(args, "blocks") if args.get("blocks") else None
        text = args.get("text") or ""
        if blocks is None and not text:
            raise SlackError("no_text")
        if blocks is not None:
            problem = blocks_problem(blocks, MAX_MESSAGE_BLOCKS)
            if problem:
                raise SlackError("invalid_blocks", errors=[problem])
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        return text, blocks

    # -- methods ------------------------------------------------------------

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.domain}.slack.com/",
            "team": "Stand-in",
            "user": "escalations",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        # The stand-in's Socket Mode server when one runs; else a port nobody listens on.
        server = self.socket_mode
        return {"url": server.url if server is not None else "ws://127.0.0.1:9/link/?ticket=standin"}

    def m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = str(args["email"]).strip().lower()
        user = next((u for u in self.users.values() if u.email and u.email.lower() == wanted), None)
        if user is None:
            raise SlackError("users_not_found")
        return {"user": user.to_api()}

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args["user"])
        if user is None:
            raise SlackError("user_not_found")
        found = user.to_api(include_locale=str(args.get("include_locale", "")).lower() in ("true", "1"))
        if "users:read.email" not in self.granted_scopes:
            found["profile"].pop("email", None)  # as in Slack: the e-mail needs its own scope
        return {"user": found}

    def m_usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        with_users = str(args.get("include_users", "")).lower() in ("true", "1")
        groups = []
        for group_id, group in self.usergroups.items():
            entry = {
                "id": group_id,
                "team_id": self.team_id,
                "is_usergroup": True,
                "name": group["name"],
                "handle": group["handle"],
                "date_delete": 0,
                "user_count": len(group["users"]),
            }
            if with_users:
                entry["users"] = list(group["users"])
            groups.append(entry)
        return {"usergroups": groups}

    def m_conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args["name"])
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self.channels.values()):
            raise SlackError("name_taken")
        is_private = str(args.get("is_private", "false")).lower() in {"true", "1"}
        channel = Channel(
            id=self._id("G" if is_private else "C"),
            name=name,
            is_private=is_private,
            creator=self.bot_user_id,
            created=int(time.time()),
            members=[self.bot_user_id],
        )
        self.channels[channel.id] = channel
        return {"channel": channel.to_api()}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")
        info = {**channel.to_api(), "is_member": self.bot_user_id in channel.members}
        if channel.canvas_id:
            info["properties"] = {"canvas": {"file_id": channel.canvas_id, "is_empty": False}}
        return {"channel": info}

    def m_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = set(str(args.get("types") or "public_channel").split(","))
        limit = int(args.get("limit") or 100)
        if not 1 <= limit <= 1000:
            raise SlackError("invalid_limit")
        exclude_archived = str(args.get("exclude_archived", "false")).lower() in {"true", "1"}
        visible = [
            c
            for c in self.channels.values()
            if not c.is_im
            and (
                ("private_channel" in types and c.is_private and self.bot_user_id in c.members)
                or ("public_channel" in types and not c.is_private)
            )
            and not (exclude_archived and c.is_archived)
        ]
        start = 0
        cursor = args.get("cursor")
        if cursor:
            try:
                start = int(str(cursor).removeprefix("next:"))
            except ValueError as exc:
                raise SlackError("invalid_cursor") from exc
        page = visible[start : start + limit]
        next_cursor = f"next:{start + limit}" if start + limit < len(visible) else ""
        return {
            "channels": [c.to_api() for c in page],
            "response_metadata": {"next_cursor": next_cursor},
        }

    def m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        return {"members": list(channel.members), "response_metadata": {"next_cursor": ""}}

    def m_conversations_invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(args["channel"])
        user_ids = [u.strip() for u in str(args["users"]).split(",") if u.strip()]
        force = str(args.get("force", "false")).lower() in {"true", "1"}
        errors: list[dict[str, Any]] = []
        valid: list[str] = []
        for user_id in user_ids:
            user = self.users.get(user_id)
            if user is None:
                errors.append({"user": user_id, "ok": False, "error": "user_not_found"})
            elif user_id == self.bot_user_id:
                errors.append({"user": user_id, "ok": False, "error": "cant_invite_self"})
            elif user.deleted:
                errors.append({"user": user_id, "ok": False, "error": "cant_invite"})
            elif user_id in channel.members:
                errors.append({"user": user_id, "ok": False, "error": "already_in_channel"})
            else:
                valid.append(user_id)
        if errors and (not force or not valid):
            raise SlackError(errors[0]["error"], errors=errors)
        channel.members.extend(valid)
        body: dict[str, Any] = {"channel": channel.to_api()}
        if errors:
            body["errors"] = errors
        return body

    def m_conversations_kick(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(args["channel"])
        user = args.get("user")
        if user == self.bot_user_id:
            raise SlackError("cant_kick_self")
        if user not in channel.members:
            raise SlackError("not_in_channel")
        channel.members.remove(user)
        return {}

    def m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            channel.members.append(self.bot_user_id)
        return {"channel": channel.to_api()}

    def _set_text(self, args: dict[str, Any], attribute: str) -> dict[str, Any]:
        channel = self._member_channel(args["channel"])
        value = str(args[attribute])
        if len(value) > 250:
            raise SlackError("too_long")
        setattr(channel, attribute, value)
        return {"channel": channel.to_api()}

    def m_conversations_setTopic(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._set_text(args, "topic")

    def m_conversations_setPurpose(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._set_text(args, "purpose")

    def m_conversations_archive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel.is_archived:
            raise SlackError("already_archived")
        channel.is_archived = True
        return {}

    def m_conversations_unarchive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if not channel.is_archived:
            raise SlackError("not_archived")
        channel.is_archived = False
        return {}

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "").split(",")
        if len(users) != 1 or users[0] not in self.users:
            raise SlackError("user_not_found")
        return {"channel": {"id": self._im(users[0]).id}}

    def m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        with_metadata = str(args.get("include_all_metadata", "false")).lower() in {"true", "1"}
        limit = int(args.get("limit") or 100)
        # Slack's window: messages before `latest` and after `oldest`, the ends themselves only
        # with `inclusive` (latest=ts, inclusive, limit=1: the one message of that ts).
        inclusive = str(args.get("inclusive", "false")).lower() in {"true", "1"}
        latest, oldest = args.get("latest"), args.get("oldest")

        def within(ts: str) -> bool:
            if latest and (float(ts) > float(latest) or (not inclusive and ts == str(latest))):
                return False
            return not (oldest and (float(ts) < float(oldest) or (not inclusive and ts == str(oldest))))

        newest_first = [m for m in reversed(channel.messages) if within(m.ts)][:limit]
        return {
            "messages": [m.to_api(with_metadata) for m in newest_first],
            "has_more": len(channel.messages) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(args["channel"])
        text, blocks = self._message_content(args)
        metadata = self._json_arg(args, "metadata") if args.get("metadata") else None
        if metadata is not None and (not isinstance(metadata, dict) or "event_type" not in metadata):
            raise SlackError("invalid_metadata_format")
        message = Message(self._next_ts(), self.bot_user_id, text, blocks, metadata)
        message.thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        if message.thread_ts and (channel.id, message.thread_ts) in self.assistant_threads:
            self.assistant_threads[(channel.id, message.thread_ts)]["status"] = None  # an answer ends it
        # As in Slack: another name and picture only with chat:write.customize (else ignored).
        if "chat:write.customize" in self.granted_scopes:
            message.username = str(args["username"]) if args.get("username") else None
            message.icon_url = str(args["icon_url"]) if args.get("icon_url") else None
        channel.messages.append(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.to_api(True)}

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        message = channel.message(str(args["ts"]))
        if message is None:
            raise SlackError("message_not_found")
        if message.user != self.bot_user_id:
            raise SlackError("cant_update_message")
        if channel.is_archived:
            raise SlackError("is_inactive")
        text, blocks = self._message_content(args)
        message.text, message.blocks = text, blocks
        if args.get("metadata"):
            message.metadata = self._json_arg(args, "metadata")
        message.edited += 1
        return {"channel": channel.id, "ts": message.ts, "text": text}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(args["channel"])
        if args["user"] not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks = self._message_content(args)
        self.ephemerals.append(Ephemeral(channel.id, args["user"], text, blocks))
        return {"message_ts": self._next_ts()}

    def m_chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        """Previews for a message's links: only for URLs the message has (Slack's cannot_unfurl_url)."""
        if not args.get("channel"):
            raise SlackError("missing_channel")
        if not args.get("ts"):
            raise SlackError("missing_ts")
        if not args.get("unfurls"):
            raise SlackError("missing_unfurls")
        channel = self.channels.get(str(args["channel"]))
        if channel is None:
            raise SlackError("cannot_find_channel")
        message = channel.message(str(args["ts"]))
        if message is None:
            raise SlackError("cannot_find_message")
        try:
            unfurls = self._json_arg(args, "unfurls")
        except SlackError:
            raise SlackError("invalid_unfurls_format") from None
        if not isinstance(unfurls, dict):
            raise SlackError("invalid_unfurls_format")
        for url, preview in unfurls.items():
            if url not in message.text:
                raise SlackError("cannot_unfurl_url")
            problem = blocks_problem((preview or {}).get("blocks") or [], MAX_MESSAGE_BLOCKS)
            if problem:
                raise SlackError("cannot_parse_attachment", errors=[problem])
        message.unfurls.update(unfurls)
        return {}

    def _document(self, content: Any) -> str:
        content = self._json_arg({"c": content}, "c") if isinstance(content, str) else content
        if not isinstance(content, dict) or content.get("type") != "markdown":
            raise SlackError("canvas_editing_failed", detail="document_content must be markdown")
        markdown = str(content.get("markdown") or "")
        if len(markdown) > MAX_MARKDOWN:
            raise SlackError("canvas_too_large")
        return markdown

    def m_conversations_canvases_create(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.canvases_enabled:
            raise SlackError("team_tier_cannot_create_channel_canvases")
        channel = self._member_channel(args["channel_id"])
        if channel.canvas_id:
            raise SlackError("channel_canvas_already_exists")
        markdown = self._document(args.get("document_content") or {"type": "markdown", "markdown": ""})
        canvas = Canvas(self._id("F"), channel.id, str(args.get("title") or ""), parse(markdown))
        self.canvases[canvas.id] = canvas
        channel.canvas_id = canvas.id
        return {"canvas_id": canvas.id}

    def _canvas(self, canvas_id: Any) -> Canvas:
        canvas = self.canvases.get(str(canvas_id))
        if canvas is None:
            raise SlackError("canvas_not_found")
        return canvas

    def m_canvases_sections_lookup(self, args: dict[str, Any]) -> dict[str, Any]:
        canvas = self._canvas(args["canvas_id"])
        criteria = self._json_arg(args, "criteria")
        if not isinstance(criteria, dict) or not (
            criteria.get("section_types") or criteria.get("contains_text")
        ):
            raise SlackError("invalid_arguments")
        kinds = set(criteria.get("section_types") or [])
        if "any_header" in kinds:
            kinds |= {"h1", "h2", "h3"}
        text = criteria.get("contains_text")
        found = [
            {"id": s.id}
            for s in canvas.sections
            if (not kinds or s.kind in kinds) and (not text or str(text) in s.text())
        ]
        return {"sections": found}

    def m_canvases_edit(self, args: dict[str, Any]) -> dict[str, Any]:
        canvas = self._canvas(args["canvas_id"])
        changes = self._json_arg(args, "changes")
        if not isinstance(changes, list) or len(changes) != 1:  # Slack's schema: exactly one
            raise SlackError("invalid_arguments")
        change = changes[0]
        operation = change.get("operation")
        section_id = change.get("section_id")
        at = canvas.index_of(str(section_id)) if section_id else None
        if section_id and at is None:
            raise SlackError("canvas_editing_failed", detail="no section with that id")
        new = parse(self._document(change["document_content"])) if operation != "delete" else []
        if operation == "replace" and at is None:
            canvas.sections = new
        elif operation == "replace" and at is not None:
            canvas.sections[at : at + 1] = new
        elif operation == "insert_at_end":
            canvas.sections += new
        elif operation == "insert_at_start":
            canvas.sections[:0] = new
        elif operation in {"insert_after", "insert_before"} and at is not None:
            where = at + 1 if operation == "insert_after" else at
            canvas.sections[where:where] = new
        elif operation == "delete" and at is not None:
            del canvas.sections[at]
        else:
            raise SlackError("canvas_editing_failed", detail=f"bad change: {operation}")
        canvas.edits += 1
        return {}

    def start_assistant_thread(self, user_id: str) -> tuple[str, str]:
        """Someone opens the app's assistant panel: a thread in their DM with the app (Slack posts
        its root). The IM channel and the thread's ts."""
        with self.lock:
            im = self._im(user_id)
            root = Message(self._next_ts(), self.bot_user_id, "")
            im.messages.append(root)
            self.assistant_threads[(im.id, root.ts)] = {"status": None, "prompts": None, "title": None}
            return im.id, root.ts

    def _assistant_thread(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(args["channel_id"]))
        if channel is None or not channel.is_im:
            raise SlackError("channel_not_found")
        thread = self.assistant_threads.get((channel.id, str(args.get("thread_ts") or "")))
        if thread is None:
            raise SlackError("invalid_thread_ts")
        return thread

    def m_assistant_threads_setStatus(self, args: dict[str, Any]) -> dict[str, Any]:
        self._assistant_thread(args)["status"] = str(args["status"])
        return {}

    def m_assistant_threads_setTitle(self, args: dict[str, Any]) -> dict[str, Any]:
        self._assistant_thread(args)["title"] = str(args["title"])
        return {}

    def m_assistant_threads_setSuggestedPrompts(self, args: dict[str, Any]) -> dict[str, Any]:
        prompts = self._json_arg(args, "prompts")
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= 4:
            raise SlackError("invalid_arguments")
        if any(not isinstance(p, dict) or not p.get("title") or not p.get("message") for p in prompts):
            raise SlackError("invalid_arguments")
        thread = self._assistant_thread(args)
        thread["prompts"] = prompts
        thread["prompts_title"] = args.get("title")
        return {}

    def start_function_run(self, callback_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """A workflow reaches one of the app's steps: a run, with its own token."""
        with self.lock:
            run_id = self._id("Fx")
            run = {
                "id": run_id,
                "callback_id": callback_id,
                "inputs": inputs,
                "token": f"xwfp-standin-{run_id}",
                "state": "running",
                "outputs": None,
                "error": None,
            }
            self.function_runs[run_id] = run
            return run

    def _running(self, args: dict[str, Any]) -> dict[str, Any]:
        run = self.function_runs.get(str(args["function_execution_id"]))
        if run is None:
            raise SlackError("function_execution_not_found")
        if args.get("_token") not in {run["token"], self.bot_token}:
            raise SlackError("access_denied")
        if run["state"] != "running":
            raise SlackError("execution_not_in_running_state")
        return run

    def m_functions_completeSuccess(self, args: dict[str, Any]) -> dict[str, Any]:
        run = self._running(args)
        outputs = self._json_arg(args, "outputs")
        declared = (self.functions.get(run["callback_id"]) or {}).get("output_parameters")
        if not isinstance(outputs, dict):
            raise SlackError("parameter_validation_failed")
        if declared is not None:
            missing = [
                n for n, p in declared.items() if p.get("is_required") and outputs.get(n) in (None, "")
            ]
            unknown = [n for n in outputs if n not in declared]
            if missing or unknown:
                raise SlackError("parameter_validation_failed", errors=[*missing, *unknown])
        run.update(state="completed", outputs=outputs)
        return {}

    def m_functions_completeError(self, args: dict[str, Any]) -> dict[str, Any]:
        run = self._running(args)
        run.update(state="failed", error=str(args["error"]))
        return {}

    def m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args["channel"])
        if channel.message(str(args["message_ts"])) is None:
            raise SlackError("message_not_found")
        ts = str(args["message_ts"]).replace(".", "")
        return {
            "channel": channel.id,
            "permalink": f"https://{self.domain}.slack.com/archives/{channel.id}/p{ts}",
        }

    def m_pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(args["channel"])
        ts = str(args.get("timestamp") or "")
        if channel.message(ts) is None:
            raise SlackError("message_not_found")
        if ts in channel.pins:
            raise SlackError("already_pinned")
        channel.pins.append(ts)
        return {}

    def m_bookmarks_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel_id"))
        link = str(args.get("link") or "")
        if args["type"] != "link" or not link.startswith(("http://", "https://")):
            raise SlackError("invalid_link")
        if len(channel.bookmarks) >= 100:
            raise SlackError("too_many_bookmarks")
        bookmark = {"id": self._id("Bk"), "title": args["title"], "link": link, "type": "link"}
        channel.bookmarks.append(bookmark)
        return {"bookmark": bookmark}

    def m_bookmarks_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel_id"))
        return {"bookmarks": [dict(b) for b in channel.bookmarks]}

    def _check_view(self, view: Any) -> dict[str, Any]:
        problem = view_problem(view)
        if problem:
            raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {problem}"]})
        return dict(view)

    def _use_trigger(self, trigger_id: Any) -> None:
        entry = self.triggers.get(str(trigger_id or ""))
        if entry is None:
            raise SlackError("invalid_trigger_id")
        issued, used = entry
        if used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_LIFETIME_SECONDS:
            raise SlackError("expired_trigger_id")
        self.triggers[str(trigger_id)] = (issued, True)

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or self._id("V")
        stored = {
            **view,
            "id": view_id,
            "hash": f"{time.time():.6f}.{next(self._ts)}",
            "team_id": self.team_id,
            "state": {"values": {}},
        }
        self.views[view_id] = stored
        return stored

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(self._json_arg(args, "view"))
        self._use_trigger(args.get("trigger_id"))
        stored = self._store_view(view)
        stored["root_view_id"] = stored["id"]
        return {"view": stored}

    def m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(self._json_arg(args, "view"))
        self._use_trigger(args.get("trigger_id"))
        return {"view": self._store_view(view)}

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(self._json_arg(args, "view"))
        view_id = str(args.get("view_id") or "")
        current = self.views.get(view_id)
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, view_id)
        stored["root_view_id"] = current.get("root_view_id", view_id)
        return {"view": stored}

    def m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(self._json_arg(args, "view"))
        user_id = str(args["user_id"])
        current = self.home_views.get(user_id)
        if current is not None and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = {**view, "id": self._id("V"), "hash": f"{time.time():.6f}.{next(self._ts)}"}
        self.home_views[user_id] = stored
        return {"view": stored}

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = self._id("F")
        self.uploads[file_id] = None
        return {"upload_url": f"{self.base_url}_upload/{file_id}", "file_id": file_id}

    def upload(self, file_id: str, data: bytes) -> bool:
        with self.lock:
            if file_id not in self.uploads:
                return False
            self.uploads[file_id] = data
            return True

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = self._json_arg(args, "files") or []
        channel = self._member_channel(args["channel_id"]) if args.get("channel_id") else None
        shared = []
        for entry in files:
            data = self.uploads.get(entry.get("id"))
            if data is None:
                raise SlackError("file_not_found")
            shared.append({"id": entry["id"], "title": entry.get("title") or entry["id"], "content": data})
        if channel is not None:
            channel.files.extend(shared)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    # -- response_url -------------------------------------------------------

    def respond(self, token: str, payload: dict[str, Any]) -> tuple[int, str]:
        """A POST to a response_url: an ephemeral reply (or in_channel message)."""
        with self.lock:
            target = self.response_urls.get(token)
            if target is None:
                return 404, "no_such_response_url"
            channel_id, user_id = target
            blocks = payload.get("blocks")
            if blocks is not None and blocks_problem(blocks, MAX_MESSAGE_BLOCKS):
                return 400, "invalid_blocks"
            text = str(payload.get("text") or "")
            if not text and not blocks:
                return 400, "no_text"
            if payload.get("response_type") == "in_channel" and channel_id in self.channels:
                self.channels[channel_id].messages.append(
                    Message(self._next_ts(), self.bot_user_id, text, blocks)
                )
            else:
                self.ephemerals.append(Ephemeral(channel_id, user_id, text, blocks))
            return 200, "ok"
