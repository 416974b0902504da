"""Slack's assistant panel (issue 24, part 1), where the workspace offers it: a thread started
there is greeted with suggested prompts from the person's own open cases; each question shows a
status while it is answered, gives the thread a title, and is answered as in a DM (the same
understanding, visibility and orders that only open forms). The panel knows which channel the
person is looking at: beside a case channel, "status" is about that case."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from slack_bolt import Assistant
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from assistant.components import Components
from assistant.content.i18n import _, speaking
from assistant.domain.slack_text import decode_slack_text
from assistant.listeners.assistant_chat import from_us, understood_reply
from assistant.rendering.escape import plain
from assistant.services.cases import open_cases
from assistant.services.lifecycle import case_in_channel
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

# Slack shows at most four suggested prompts.
MAX_PROMPTS = 4
THREADS_REMEMBERED = 10_000


class ViewedChannels(AssistantThreadContextStore):
    """Which channel each panel thread is beside (Slack says so when the thread starts and as the
    person moves). Kept in memory, the last THREADS_REMEMBERED threads: it only spares naming the
    case; an instance that does not know it answers "which case?"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        with self._lock:
            self._threads[(channel_id, thread_ts)] = dict(context)
            self._threads.move_to_end((channel_id, thread_ts))
            while len(self._threads) > THREADS_REMEMBERED:
                self._threads.popitem(last=False)

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        with self._lock:
            found = self._threads.get((channel_id, thread_ts))
        return AssistantThreadContext(found) if found else None


def suggested_prompts(components: Components, user_id: str) -> list[dict[str, str]]:
    """The person's own open cases first (their status), then what is due and their cases."""
    prompts = []
    for case in open_cases(components.engine, involving=user_id, limit=2):
        prompts.append(
            {
                "title": _("assistant_panel.status_of", key=case.key)[:75],
                "message": _("assistant_panel.ask_status", key=case.key),
            }
        )
    prompts.append({"title": _("assistant_panel.due_today"), "message": _("assistant_panel.ask_due_today")})
    prompts.append({"title": _("assistant_panel.my_cases"), "message": _("assistant_panel.ask_my_cases")})
    return prompts[:MAX_PROMPTS]


def register(app: Any, components: Components) -> None:
    viewed = ViewedChannels()
    assistant = Assistant(thread_context_store=viewed, logger=logging.getLogger("assistant.bolt"))

    @assistant.thread_started
    def greet(
        payload: dict[str, Any], say: Any, set_suggested_prompts: Any, save_thread_context: Any
    ) -> None:
        thread = payload.get("assistant_thread") or {}
        user_id = str(thread.get("user_id") or "")
        if thread.get("context"):
            save_thread_context(thread["context"])
        with speaking(components.people.locale(user_id)):
            greeting = _("assistant_panel.greeting")
            prompts = suggested_prompts(components, user_id)
            title = _("assistant_panel.prompts_title")
        try:
            say(text=greeting)
            set_suggested_prompts(prompts=prompts, title=title)
        except SLACK_ERRORS as exc:
            logger.warning("assistant panel: the greeting was not posted (%s)", error_code(exc))

    @assistant.thread_context_changed
    def moved(payload: dict[str, Any], save_thread_context: Any) -> None:
        context = (payload.get("assistant_thread") or {}).get("context")
        if context:
            save_thread_context(context)

    @assistant.user_message
    def respond(
        payload: dict[str, Any],
        say: Any,
        set_status: Any,
        set_title: Any,
        get_thread_context: Any,
        context: Any,
    ) -> None:
        user_id = str(payload.get("user") or "")
        if not user_id or not from_us(components, payload):
            return
        text = str(payload.get("text") or "")
        with speaking(components.people.locale(user_id)):
            looking = _("assistant_panel.looking")
        try:
            set_status(status=looking)
            beside = get_thread_context()
            here = case_in_channel(components.engine, beside["channel_id"]) if beside else None
            message = understood_reply(
                components, user_id, text, bot_user_id=str(context.get("bot_user_id") or ""), here=here
            )
            set_title(title=plain(decode_slack_text(text), 60) or looking)
            say(text=message.text, blocks=message.blocks)
        except SLACK_ERRORS as exc:
            logger.warning("assistant panel: the answer was not posted (%s)", error_code(exc))

    app.use(assistant)
