"""Optional OpenTelemetry tracing: set OTEL_EXPORTER_OTLP_ENDPOINT (the SDK's own variable) and
spans go to that collector over OTLP/HTTP: each Slack request handled, each Slack Web API call,
each database transaction, each background job; a job about a case carries its id
(`escalation.id`), so one case's work is found together. Without the variable the API's no-op
tracer is used and nothing is recorded. Span names and attributes are ids and kinds, never
customer text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

TRACER = trace.get_tracer("escalations")
# A job's key names its kind first, then (for most) the case: "canvas:12", "provision:12:card".
_CASE_IN_KEY = re.compile(r"^[a-z_-]+:(\d+)(?::|$)")


def configure_tracing(service_name: str = "escalations") -> bool:
    """The SDK and its OTLP exporter, when OTEL_EXPORTER_OTLP_ENDPOINT says where to send spans."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


@contextmanager
def span(
    name: str, kind: SpanKind = SpanKind.INTERNAL, attributes: dict[str, Any] | None = None
) -> Iterator[Span]:
    with TRACER.start_as_current_span(name, kind=kind) as current:
        for key, value in (attributes or {}).items():
            if value is not None:
                current.set_attribute(key, value)
        yield current


def job_attributes(key: str) -> dict[str, Any]:
    """What a background job's span says of it: its kind, and its case when its key names one."""
    found = _CASE_IN_KEY.match(key)
    return {"job.kind": key.split(":")[0], "escalation.id": int(found.group(1)) if found else None}


def slack_request_name(body: dict[str, Any]) -> str:
    """A Slack request's span name: its type, and the event's or command's kind (ids, not text)."""
    kind = str(body.get("type") or ("slash_command" if body.get("command") else "request"))
    if kind == "event_callback":
        return f"slack event {(body.get('event') or {}).get('type', '?')}"
    if body.get("command"):
        return f"slack command {body['command']}"
    return f"slack {kind}"
