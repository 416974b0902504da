"""What telling the customer costs, against a real SMTP server on loopback. Prints numbers; asserts nothing.

    python bench/customer.py [--cases 30] [--burst 100] [--database-url URL]

1. Queueing: the acknowledge modal's submission answered to Slack, with the e-mail route
   (a communication queued in the same transaction) against the owner sending it themselves.
   Target: under 50 ms added.
2. SMTP delivery on loopback: from queued to accepted by the server, one at a time.
   Target: p95 under 200 ms.
3. A burst: 100 communications queued at once, delivered by two senders (two app instances
   on one database) at the same time. Target: every one delivered, exactly once.

Runs on a temporary SQLite file, then on PostgreSQL at 127.0.0.1:5432 when it is reachable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session, select  # noqa: E402

from assistant.database import session_scope  # noqa: E402
from assistant.domain.communications import Purpose, Route  # noqa: E402
from assistant.jobs.customer_delivery import CustomerDelivery  # noqa: E402
from assistant.models import CustomerCommunication, Escalation  # noqa: E402
from assistant.services import customer  # noqa: E402
from bench.common import on_each_database, percentile  # noqa: E402
from tests.harness import CSM, OWNER, FlowButton, Harness, free_port, in_hours, start_harness, wait_for  # noqa: E402
from tests.mailbox import Mailbox  # noqa: E402

SENDER = "Vendor Support <support@vendor.example>"
CONTACT = {
    "contacts": "Ana Souza <ana@acme.com.br>, CTO",
    "contact_language": "pt_BR",
    "contact_zone": "America/Sao_Paulo",
}


def acknowledge_answer_ms(harness: Harness, route: str) -> float:
    case = harness.escalate(CSM, **CONTACT)
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    draft = next(
        b for b in harness.workspace.views[view_id]["blocks"] if b.get("block_id") == "customer_message"
    )
    started = time.perf_counter()
    response = harness.submit(
        OWNER,
        view_id,
        next_update=in_hours(3),
        customer_message=draft["element"]["initial_value"],
        send_by=route,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200 or response.body:
        raise SystemExit(f"the acknowledgement was refused: {response.body}")
    return elapsed


def bench_queueing(harness: Harness, cases: int) -> None:
    for route in ("myself", "email"):  # warm up both paths
        acknowledge_answer_ms(harness, route)
    answered: dict[str, list[float]] = {"myself": [], "email": []}
    for _ in range(cases):
        for route in answered:  # interleaved, so a busy moment weighs on both alike
            answered[route].append(acknowledge_answer_ms(harness, route))
    myself, email = (statistics.median(answered[r]) for r in ("myself", "email"))
    print(f"1. acknowledge submission answered, {cases} each (median / p95):")
    print(f"   sent by the owner themselves  {myself:6.1f} / {percentile(answered['myself'], 95):6.1f} ms")
    print(f"   queued for e-mail             {email:6.1f} / {percentile(answered['email'], 95):6.1f} ms")
    print(f"   added by queueing: {email - myself:+.1f} ms (target < 50 ms)")


def bench_delivery(harness: Harness, box: Mailbox) -> None:
    engine = harness.components.engine
    rows = [r for r in all_communications(engine) if r.channel == Route.EMAIL.value and r.delivered_at]
    spans = [(r.delivered_at - r.queued_at).total_seconds() * 1000 for r in rows]  # type: ignore[operator]
    print(f"2. SMTP delivery on loopback, queued -> accepted, {len(spans)} e-mails one at a time:")
    print(
        f"   p50 {statistics.median(spans):.1f} ms   p95 {percentile(spans, 95):.1f} ms (target p95 < 200 ms)"
    )


def bench_burst(harness: Harness, box: Mailbox, count: int) -> None:
    engine = harness.components.engine
    case = harness.escalate(CSM, **CONTACT)
    before = len(box.messages)
    # Queued in one go, as many changes committing at once would; then two senders race for them.
    harness.components.customer.stop()
    with session_scope(engine) as session:
        stored = session.get(Escalation, case.id)
        assert stored is not None
        for index in range(count):
            customer.tell_customer(
                session,
                stored,
                Purpose.UPDATE,
                customer.Outgoing(Route.EMAIL, f"Atualização {index}"),
                actor_id=OWNER,
                keeps_promise_at=None,
            )
    queued_at = time.perf_counter()
    senders = [
        CustomerDelivery(
            engine=engine,
            settings=harness.settings,
            people=harness.components.people,
            channel=harness.components.provisioner.channel,
        ).start()
        for _ in range(2)
    ]
    for sender in senders:
        sender.wake()
    wait_for(
        lambda: (
            sum(1 for r in all_communications(engine) if r.escalation_id == case.id and r.delivered_at)
            >= count
        ),
        timeout=300,
        what="the burst delivered",
    )
    elapsed = time.perf_counter() - queued_at
    time.sleep(1)  # anything sent twice would arrive now
    for sender in senders:
        sender.stop()
    arrived = box.messages[before:]
    ids = [m["Message-ID"] for m in arrived]
    print(f"3. {count} communications queued at once, two senders on one database:")
    print(
        f"   all delivered in {elapsed:.1f} s; {len(arrived)} e-mails arrived, {len(set(ids))} distinct "
        f"(target: {count} and {count}, exactly once)"
    )


def all_communications(engine: object) -> list[CustomerCommunication]:
    with Session(engine) as session:  # type: ignore[call-overload]
        return list(session.exec(select(CustomerCommunication)))


def run(database_url: str, cases: int, burst: int) -> None:
    print(f"== {database_url.split(':')[0]}")
    box = Mailbox().start()
    port = free_port()
    harness = start_harness(
        database_url,
        http_port=port,
        smtp_url=box.url,
        smtp_from=SENDER,
        public_base_url=f"http://127.0.0.1:{port}",
    )
    try:
        bench_queueing(harness, cases)
        wait_for(lambda: len(box.messages) >= cases + 1, timeout=60, what="the e-mails")
        bench_delivery(harness, box)
        bench_burst(harness, box, burst)
    finally:
        harness.stop()
        box.stop()
    print(f"   (finished {datetime.now(UTC):%H:%M:%S} UTC)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--burst", type=int, default=100)
    args, _ = parser.parse_known_args()
    on_each_database(lambda url: run(url, args.cases, args.burst), __doc__)


if __name__ == "__main__":
    main()
