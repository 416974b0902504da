"""Traces (issue 25, part 3): with OpenTelemetry's SDK set up, opening a case makes spans for the
Slack request handled, each Web API call, the database transactions and the background jobs,
the case's jobs carrying its id; names and attributes are ids, never customer text. The SDK's
in-memory exporter receives them here (OTEL_EXPORTER_OTLP_ENDPOINT sends them to a collector)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.harness import CSM, Harness, wait_for

EXPORTER = InMemorySpanExporter()


class WhileTesting(SimpleSpanProcessor):
    """Exports only during a tracing test: the provider, once set, stays for the process."""

    on = False

    def on_end(self, span: ReadableSpan) -> None:
        if WhileTesting.on:
            super().on_end(span)


@pytest.fixture
def traced() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once: OpenTelemetry allows one), exporting to memory."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(WhileTesting(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    WhileTesting.on = True
    try:
        yield EXPORTER
    finally:
        WhileTesting.on = False
        EXPORTER.clear()


def test_opening_a_case_is_traced_end_to_end_and_linked_by_case(
    traced: InMemorySpanExporter, harness: Harness
) -> None:
    secret_words = "MARK-TRACE-TEXT-91c2"
    case = harness.escalate(CSM, summary=f"Checkout down {secret_words}", stakeholders=[])
    spans = wait_for(
        lambda: (
            (found := traced.get_finished_spans())
            and any(
                s.name == "job provision" and (s.attributes or {}).get("escalation.id") == case.id
                for s in found
            )
            and found
        ),
        what="the case's spans",
    )
    names = {s.name for s in spans}
    assert "slack command /escalate" in names and "slack view_submission" in names
    assert {"slack.api conversations.create", "slack.api chat.postMessage", "db transaction"} <= names
    create = next(s for s in spans if s.name == "slack.api conversations.create")
    assert (create.attributes or {}).get("slack.outcome") == "ok" and create.kind == trace.SpanKind.CLIENT
    # The Web API call made for the case's channel ran inside the case's job.
    provisioning = [
        s for s in spans if s.name == "job provision" and (s.attributes or {}).get("escalation.id") == case.id
    ]
    assert any(create.parent and create.parent.span_id == job.context.span_id for job in provisioning)
    everything = json.dumps([{"name": s.name, **dict(s.attributes or {})} for s in spans], default=str)
    assert secret_words not in everything
