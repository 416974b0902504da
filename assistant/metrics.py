"""Prometheus metrics (prometheus-client), served at /metrics (or on METRICS_PORT).

Two kinds, so that two instances agree on what they share:
- this process's: its background loops (seconds since their last pass, faults), its work queue
  (depth, oldest item's age), the Slack calls it made and the API requests it answered;
- the escalation practice's, read from the database at each scrape: cases opened (by category and
  severity) and open (by status), promises made, kept on time, delivered late and missed,
  breaches, the time to acknowledge and to the customer's first contact (histograms), and the
  customer communications and webhook deliveries by state.

Every name starts with `escalations_`; label values are ids (a method, a route, a status), never
customer text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import col

from assistant.domain.events import EventKind
from assistant.domain.status import Status
from assistant.models import CaseEvent, CustomerCommunication, Escalation, WebhookDelivery

if TYPE_CHECKING:
    from assistant.components import Components

# Process-wide counters, registered in each app's registry (tests run several apps in one process).
SLACK_CALLS = Counter(
    "escalations_slack_calls",
    "Slack Web API calls made by this process, by method and outcome (ok, error, ratelimited)",
    ["method", "outcome"],
    registry=None,
)
API_REQUESTS = Counter(
    "escalations_api_requests",
    "HTTP API requests answered by this process, by route template and status code",
    ["route", "status"],
    registry=None,
)
# Seconds: 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 24 h (the practice's promises: ack in 2 h,
# the customer in the first hour).
DURATION_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)


def count_slack_call(method: str, outcome: str) -> None:
    SLACK_CALLS.labels(method=method, outcome=outcome).inc()


def count_api_request(route: str, status: int) -> None:
    API_REQUESTS.labels(route=route, status=str(status)).inc()


def seconds_between(later: Any, earlier: Any, dialect: str) -> Any:
    """SQL for the seconds from `earlier` to `later`, on SQLite or PostgreSQL."""
    if dialect == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.func.extract("epoch", later - earlier)


def histogram(
    name: str, documentation: str, connection: sa.Connection, later: Any, earlier: Any
) -> HistogramMetricFamily:
    """A histogram of `later - earlier` over every case that has both, counted in SQL (one row)."""
    seconds = seconds_between(later, earlier, connection.dialect.name)
    columns = [sa.func.sum(sa.case((seconds <= bound, 1), else_=0)) for bound in DURATION_BUCKETS]
    row = connection.execute(
        sa.select(*columns, sa.func.count(), sa.func.coalesce(sa.func.sum(seconds), 0.0))
        .select_from(Escalation)
        .where(later.is_not(None), earlier.is_not(None))
    ).one()
    counts, total, summed = [int(c or 0) for c in row[: len(DURATION_BUCKETS)]], int(row[-2]), float(row[-1])
    buckets = [(str(bound), float(count)) for bound, count in zip(DURATION_BUCKETS, counts, strict=True)]
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], [*buckets, ("+Inf", float(total))], summed)
    return family


class AppCollector(Collector):
    """Read at each scrape: the process's loops and queue, and the practice from the database."""

    def __init__(self, components: Components) -> None:
        self.components = components

    def collect(self) -> Iterator[Any]:
        yield from self._process()
        answered = True
        try:
            yield from self._practice()
        except sa.exc.SQLAlchemyError:
            answered = False
        up = GaugeMetricFamily("escalations_database_up", "Whether the database answered the scrape")
        up.add_metric([], 1.0 if answered else 0.0)
        yield up

    def _process(self) -> Iterable[Any]:
        supervisor, queue = self.components.supervisor, self.components.work
        since = GaugeMetricFamily(
            "escalations_loop_seconds_since_progress",
            "Seconds since each background loop of this process last completed a pass",
            labels=["loop"],
        )
        healthy = GaugeMetricFamily(
            "escalations_loop_healthy",
            "1 if the loop runs and made progress recently, else 0",
            labels=["loop"],
        )
        faults = CounterMetricFamily(
            "escalations_loop_faults",
            "Passes or items of each loop that raised, since start",
            labels=["loop"],
        )
        failing, _states = supervisor.report()
        for loop, seconds, count in supervisor.loop_facts():
            since.add_metric([loop], seconds)
            healthy.add_metric([loop], 0.0 if loop in failing else 1.0)
            faults.add_metric([loop], float(count))
        depth = GaugeMetricFamily("escalations_work_queue_depth", "Pieces of work waiting or running")
        depth.add_metric([], float(queue.waiting()))
        oldest = GaugeMetricFamily(
            "escalations_work_queue_oldest_seconds", "Age of the oldest piece of work waiting its turn"
        )
        oldest.add_metric([], queue.oldest_waiting_seconds())
        return [since, healthy, faults, depth, oldest]

    def _practice(self) -> Iterable[Any]:
        with self.components.engine.connect() as connection:
            yield from self._cases(connection)
            yield histogram(
                "escalations_time_to_acknowledge_seconds",
                "From a case opened to its acknowledgement",
                connection,
                col(Escalation.acknowledged_at),
                col(Escalation.created_at),
            )
            yield histogram(
                "escalations_time_to_first_customer_contact_seconds",
                "From a case opened to the customer first hearing from us",
                connection,
                col(Escalation.customer_heard_at),
                col(Escalation.created_at),
            )
            yield from self._deliveries(connection)

    @staticmethod
    def _cases(connection: sa.Connection) -> Iterable[Any]:
        opened = CounterMetricFamily(
            "escalations_cases_opened",
            "Cases opened, by category and severity",
            labels=["category", "severity"],
        )
        for category, severity, count in connection.execute(
            sa.select(col(Escalation.category), col(Escalation.severity), sa.func.count()).group_by(
                col(Escalation.category), col(Escalation.severity)
            )
        ):
            opened.add_metric([str(category), str(severity)], float(count))
        open_now = GaugeMetricFamily(
            "escalations_open_cases", "Cases not closed, by status", labels=["status"]
        )
        by_status = dict(
            connection.execute(
                sa.select(col(Escalation.status), sa.func.count()).group_by(col(Escalation.status))
            ).all()
        )
        for status in Status:
            if status != Status.CLOSED:
                open_now.add_metric([status.value], float(by_status.get(status, 0)))
        made, kept, late = connection.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(col(Escalation.promises_made)), 0),
                sa.func.coalesce(sa.func.sum(col(Escalation.promises_kept)), 0),
                sa.func.coalesce(sa.func.sum(col(Escalation.promises_delivered_late)), 0),
            )
        ).one()
        breaches = connection.execute(
            sa.select(sa.func.count())
            .select_from(CaseEvent)
            .where(col(CaseEvent.kind) == EventKind.BREACH.value)
        ).scalar_one()
        promises = CounterMetricFamily(
            "escalations_promises",
            "Promises to customers and leaders: made, kept on time, delivered late, missed",
            labels=["outcome"],
        )
        for outcome, value in (("made", made), ("kept", kept), ("late", late), ("missed", breaches)):
            promises.add_metric([outcome], float(value))
        breached = CounterMetricFamily("escalations_breaches", "Promises missed (a breach on the timeline)")
        breached.add_metric([], float(breaches))
        return [opened, open_now, promises, breached]

    @staticmethod
    def _deliveries(connection: sa.Connection) -> Iterable[Any]:
        communications = GaugeMetricFamily(
            "escalations_customer_communications",
            "Messages to customers by state (queued, sending, sent, failed, parked, held…)",
            labels=["state"],
        )
        for kind, count in connection.execute(
            sa.select(col(CustomerCommunication.state), sa.func.count()).group_by(
                col(CustomerCommunication.state)
            )
        ):
            communications.add_metric([str(kind)], float(count))
        webhooks = GaugeMetricFamily(
            "escalations_webhook_deliveries", "Webhook deliveries by state", labels=["state"]
        )
        delivery_state = sa.case(
            (col(WebhookDelivery.delivered_at).is_not(None), "delivered"),
            (col(WebhookDelivery.parked_at).is_not(None), "parked"),
            (col(WebhookDelivery.attempts) > 0, "failing"),
            else_="queued",
        )
        counts: dict[str, int] = {
            str(name): int(count)
            for name, count in connection.execute(
                sa.select(delivery_state, sa.func.count()).group_by(delivery_state)
            )
        }
        for name in ("queued", "failing", "delivered", "parked"):
            webhooks.add_metric([name], float(counts.get(name, 0)))
        return [communications, webhooks]


def registry_for(components: Components) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AppCollector(components))
    registry.register(SLACK_CALLS)
    registry.register(API_REQUESTS)
    return registry


def metrics_app(registry: CollectorRegistry) -> Callable[..., Iterable[bytes]]:
    """The WSGI app answering GET /metrics in Prometheus's text format."""
    return make_wsgi_app(registry)  # type: ignore[no-any-return]
