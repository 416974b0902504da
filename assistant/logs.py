"""Logging set-up that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# Slack token shapes, in case one arrives from somewhere we did not configure.
_TOKEN = re.compile(r"xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
# A survey link's token opens the customer's page: waitress names the path of a request that
# failed or was cut ("Exception while serving /csat/<token>"), so the path keeps only its prefix.
_SURVEY_TOKEN = re.compile(r"(/csat/)[^\s?#\"'<>]+")
REDACTED = "[redacted]"
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt", "assistant.bolt", "websockets")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _SURVEY_TOKEN.sub(rf"\g<1>{REDACTED}", _TOKEN.sub(REDACTED, text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if clean != message:
            record.msg, record.args = clean, None
        return True


# What the work at hand is about, put on every line logged during it (ids and kinds only): the
# Slack request or API request being answered, the background job and its case.
_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("log_context", default={})  # noqa: B039 - never mutated


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    token = _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class ContextFields(logging.Filter):
    """Adds the work's context to each record (JSON lines show it as fields)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _CONTEXT.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def formatter(log_format: str) -> logging.Formatter:
    """`text`: one readable line; `json`: one JSON object per line (python-json-logger), with the
    time, level, logger and message, and what a line adds by `extra` (a case key, a method)."""
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            timestamp=False,
        )
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure_logging(
    level: str, secrets: Iterable[str], handler: logging.Handler | None = None, log_format: str = "text"
) -> RedactSecrets:
    handler = handler or logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    redactor = RedactSecrets(secrets)
    handler.addFilter(redactor)
    handler.addFilter(ContextFields())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Slack's libraries log whole requests and payloads at DEBUG (a customer's words, a form's
    # answers): never below INFO, whatever LOG_LEVEL says.
    for chatty in PAYLOAD_LOGGERS:
        logging.getLogger(chatty).setLevel(max(logging.INFO, root.level))
    return redactor
