"""Metrics (issue 25, part 2): /metrics in Prometheus's text format, read back with the client
library's own parser: the process's loops, queue, Slack calls and API requests, and the
practice's numbers read from the database (so every instance says the same); the Grafana
dashboard draws only metrics the app serves."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from assistant.api import tokens
from tests.harness import CSM, ROOT, Harness
from tests.stories import acknowledged

DASHBOARD = ROOT / "deploy" / "grafana" / "escalations.json"


def exposition(harness: Harness) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(harness.server.url + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        return str(response.read().decode())


def scrape(harness: Harness) -> dict[str, list[Any]]:
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(exposition(harness)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def served_names(harness: Harness) -> set[str]:
    """Every series name /metrics serves, samples or not yet (a family with no case counted)."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    names = set()
    for family in text_string_to_metric_families(exposition(harness)):
        names |= {family.name, *(family.name + end for end in suffixes.get(family.type, ()))}
    return names


def value(samples: dict[str, list[Any]], name: str, **labels: str) -> float:
    found = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples.get(name))
    return float(found[0])


def test_metrics_tell_the_process_and_the_practice(harness: Harness) -> None:
    before = scrape(harness)
    assert value(before, "escalations_database_up") == 1
    posts_before = sum(
        s.value
        for s in before.get("escalations_slack_calls_total", [])
        if s.labels["method"] == "chat.postMessage"
    )

    case = acknowledged(harness, stakeholders=[])
    harness.escalate(CSM, summary="A second one", severity="critical", stakeholders=[])
    token = tokens.create(harness.engine, "metrics-test", ["escalations:read"])
    request = urllib.request.Request(
        harness.server.url + f"/api/v1/escalations/{case.key}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as answer:
        assert answer.status == 200

    after = scrape(harness)  # the practice's numbers are read from the database: current at once
    assert value(after, "escalations_cases_opened_total", category="technical", severity="high") == 1
    assert value(after, "escalations_cases_opened_total", category="technical", severity="critical") == 1
    assert value(after, "escalations_open_cases", status="acknowledged") == 1
    assert value(after, "escalations_promises_total", outcome="made") >= 1
    assert value(after, "escalations_promises_total", outcome="missed") == 0
    assert value(after, "escalations_time_to_acknowledge_seconds_count") == 1
    assert (
        value(after, "escalations_time_to_acknowledge_seconds_bucket", le="300.0") == 1
    )  # acknowledged at once
    assert value(after, "escalations_webhook_deliveries", state="parked") == 0
    posts = sum(
        s.value for s in after["escalations_slack_calls_total"] if s.labels["method"] == "chat.postMessage"
    )
    assert posts > posts_before
    assert (
        value(after, "escalations_api_requests_total", route="/api/v1/escalations/{key}", status="200") >= 1
    )
    assert value(after, "escalations_loop_healthy", loop="work-queue") == 1
    assert "escalations_work_queue_depth" in after and "escalations_work_queue_oldest_seconds" in after
    # Label values are ids and routes, never what people wrote.
    assert all(case.summary not in json.dumps(s.labels) for samples in after.values() for s in samples)


def test_every_dashboard_panel_draws_a_metric_the_app_serves(harness: Harness) -> None:
    served = served_names(harness)
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    assert len(panels) >= 10
    for panel in panels:
        for target in panel["targets"]:
            names = set(re.findall(r"\bescalations_[a-z_]+", target["expr"]))
            assert names, panel["title"]
            assert names <= served, (panel["title"], names - served)
