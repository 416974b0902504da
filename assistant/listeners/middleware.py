"""What every request goes through before its listener: hostile text cleaned, replays dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from slack_bolt import Ack, App, BoltContext
from slack_bolt.response import BoltResponse

from assistant.domain.text import clean_tree
from assistant.ids import ViewId
from assistant.logs import log_context
from assistant.services import submissions
from assistant.slack.client import counted_copy
from assistant.tracing import SpanKind, slack_request_name, span

logger = logging.getLogger(__name__)


class ReleasingAck(Ack):
    """An ack that gives the submission back when the modal answers with errors (it may come again)."""

    def __init__(self, release: Callable[[], None]) -> None:
        super().__init__()
        self._release = release

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        if kwargs.get("response_action") == "errors":
            self._release()
        return super().__call__(*args, **kwargs)


def submission_key(body: dict[str, Any]) -> tuple[str, str] | None:
    view = body.get("view") or {}
    if body.get("type") != "view_submission" or not view.get("id"):
        return None
    if view.get("callback_id") == ViewId.INTAKE:
        return None  # one case per intake view already (a unique column): no extra write before the answer
    return str(view["id"]), str(view.get("hash") or "")


def register_middleware(app: App, engine: sa.Engine) -> None:
    rate_limited_minutes: set[int] = set()

    @app.middleware
    def trace_slack_request(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        """A span for each Slack request handled (its answer to Slack included); the listener's
        client counted and traced as every other (Bolt makes a plain one per request)."""
        context["client"] = counted_copy(context.client)
        name = slack_request_name(body)
        request = str(body.get("event_id") or body.get("trigger_id") or "") or None
        with span(name, SpanKind.SERVER), log_context(slack_request=name, request_id=request):
            next()

    @app.middleware
    def acknowledge_rate_limit_notices(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        """Slack's `app_rate_limited`: it dropped events for a minute. Acknowledged, said once a minute."""
        if body.get("type") != "app_rate_limited":
            next()
            return None
        minute = int(body.get("minute_rate_limited") or 0)
        if minute not in rate_limited_minutes:
            rate_limited_minutes.add(minute)
            logger.warning(
                "Slack dropped events for this app in the minute starting %s (app_rate_limited): "
                "more than 30,000 events an hour; what was lost there is not redelivered",
                minute,
            )
        return BoltResponse(status=200, body="")

    @app.middleware
    def clean_user_text(body: dict[str, Any], next: Callable[[], None]) -> None:  # noqa: A002 - Bolt's name
        """NUL characters, lone surrogates and invisible-only text never reach a listener or the database."""
        if isinstance(body.get("view"), dict) and "state" in body["view"]:
            clean_tree(body["view"]["state"])
        if isinstance(body.get("text"), str):  # a slash command's text
            body["text"] = clean_tree(body["text"])
        if isinstance(body.get("message"), dict):
            clean_tree(body["message"])
        next()

    @app.middleware
    def drop_replayed_submissions(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], None],  # noqa: A002
    ) -> BoltResponse | None:
        """A replayed signed submission (valid for 5 minutes) is acknowledged, not applied."""
        key = submission_key(body)
        if key is None:
            next()
            return None
        try:
            claimed = submissions.claim(engine, *key)
        except sa.exc.SQLAlchemyError as exc:
            logger.warning(
                "a submission could not be recorded: the database is unavailable (%s)", type(exc).__name__
            )
            return BoltResponse(status=503, body="")
        if not claimed:
            logger.info("view %s was submitted again unchanged; ignored", key[0])
            return BoltResponse(status=200, body="")
        context["ack"] = ReleasingAck(lambda: submissions.release(engine, *key))
        next()
        return None


def release_failed_submission(engine: sa.Engine, body: dict[str, Any]) -> None:
    """A listener failed: the person may submit the same modal again."""
    key = submission_key(body)
    if key is not None:
        submissions.release(engine, *key)
