"""Bursts of escalations. Prints numbers beside their targets; asserts nothing.

    python bench/burst.py [--scenario all|at-once|outage] [--submissions 100] [--cases 60]
                          [--latency-ms 50] [--database-url URL]

The real app runs as its own process (`python -m assistant serve`) against the
Slack stand-in, which answers every Web API call `--latency-ms` late.

at-once: 100 CSMs submit the intake modal at the same moment; measured is the
time until the app answers each submission (Slack shows an error past 3 s,
although the case is saved), then the time until every case is open in Slack.

outage: one outage hits 60 accounts and their CSMs escalate within a minute
(one /escalate a second, each submitted 5 s later), with Slack's per-method
rate limits enforced by the stand-in at Slack's real pace (Tier 2: 20 calls a
minute, chat.postMessage one a second per channel). Measured: /escalate
commands that did not open the form, when every case was fully open in
Slack, how soon each owner was told, duplicates, and Slack's 429s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from common import fresh, on_each_database, percentile, standin_with_people

from assistant.domain.intake import IntakeField
from slack_standin.rate_limits import RateLimits
from slack_standin.workspace import User
from tests.harness import (
    app_sender,
    default_intake,
    free_port,
    start_app_process,
)

TARGET_P99_MS = 1000
SLACK_DEADLINE_MS = 3000
TARGET_ALL_OPEN_S = 240
TARGET_OWNER_DM_S = 60
TARGET_429S = 0
FORM_FILLING_S = 5.0


def run(database_url: str, submissions: int, latency_ms: int) -> None:
    fresh_schema(database_url)
    standin, csms, general_id = standin_with_people("U0BURST", submissions)
    workspace = standin.workspace
    port = free_port()
    process = start_app_process(standin, database_url, port, BLOCK_KIT_CHECKS="limits")
    try:
        sender = app_sender(standin, port)
        views = []
        chosen = default_intake()
        for csm in csms:  # each CSM opens the modal and picks the owner (before the burst)
            before = len(workspace.views)
            sender.slash_command(csm, "", channel_id=general_id)
            while len(workspace.views) == before:
                time.sleep(0.002)
            views.append(list(workspace.views)[-1])
            sender.choose(csm, views[-1], IntakeField.OWNER.value, chosen[IntakeField.OWNER])
            sender.choose(csm, views[-1], IntakeField.STAKEHOLDERS.value, chosen[IntakeField.STAKEHOLDERS])
        workspace.default_latency = latency_ms / 1000

        def submit(index: int) -> float:
            start = time.monotonic()
            response = sender.submit_view(
                csms[index], views[index], default_intake(summary=f"Outage {index}")
            )
            if response.status != 200 or response.body:
                raise SystemExit(f"a submission was refused: {response}")
            return (time.monotonic() - start) * 1000

        burst_start = time.monotonic()
        with ThreadPoolExecutor(submissions) as pool:
            acks = list(pool.map(submit, range(submissions)))
        deadline = time.monotonic() + 600
        while len(workspace.case_channels()) < submissions and time.monotonic() < deadline:
            time.sleep(0.05)
        all_open = time.monotonic() - burst_start
    finally:
        process.terminate()
        process.wait(timeout=30)
        standin.stop()
    late = sum(a > SLACK_DEADLINE_MS for a in acks)
    kind = database_url.split(":", 1)[0].split("+")[0]
    print(f"{kind}: {submissions} intake submissions at once, Slack answering {latency_ms} ms late")
    print(
        f"  acknowledged: p50 {statistics.median(acks):.0f} ms  p99 {percentile(acks, 99):.0f} ms "
        f"(target < {TARGET_P99_MS} ms)  max {max(acks):.0f} ms"
    )
    print(f"  over Slack's 3 s: {late} (target 0)")
    print(f"  every case open in Slack after {all_open:.1f} s ({len(workspace.case_channels())} channels)")


def run_outage(database_url: str, cases: int, latency_ms: int) -> None:
    fresh_schema(database_url)
    standin, csms, general_id = standin_with_people("U0CSM", cases)
    workspace = standin.workspace
    owners = [workspace.add_user(User(f"U0OWN{i:05d}", f"owner{i}", f"Owner {i}")).id for i in range(cases)]
    workspace.default_latency = latency_ms / 1000
    workspace.rate_limits = RateLimits(1.0)
    port = free_port()
    process = start_app_process(
        standin, database_url, port, SLACK_RATE_LIMIT_FACTOR="1", BLOCK_KIT_CHECKS="limits"
    )
    engine = sa.create_engine(database_url)
    submitted: dict[str, float] = {}
    not_opened: list[str] = []
    opened_at: dict[str, float] = {}
    try:
        sender = app_sender(standin, port)
        lock = threading.Lock()

        def escalate(index: int) -> None:
            csm = csms[index]
            before = len(workspace.calls_to("views.open"))
            sender.slash_command(csm, "", channel_id=general_id)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                with lock:
                    call = next((c for c in workspace.calls_to("views.open")[before:] if c.ended), None)
                if call is not None:
                    break
                time.sleep(0.01)
            if call is None or call.error:
                not_opened.append(csm)
                return
            view_id = call.args.get("view_id") or list(workspace.views)[-1]
            sender.choose(csm, view_id, IntakeField.OWNER.value, owners[index])  # filling it in
            time.sleep(FORM_FILLING_S)
            submitted[csm] = time.monotonic()
            sender.submit_view(csm, view_id, default_intake(summary=f"Outage {index}", owner=owners[index]))

        start = time.monotonic()
        with ThreadPoolExecutor(cases) as pool:
            for index in range(cases):
                time.sleep(max(0.0, start + index * 60 / cases - time.monotonic()))
                pool.submit(escalate, index)
            deadline = time.monotonic() + 600
            while len(opened_at) < len(submitted) or len(submitted) + len(not_opened) < cases:
                if time.monotonic() > deadline:
                    break
                with engine.connect() as connection:
                    done = connection.execute(
                        sa.text(
                            "SELECT e.reporter_id FROM escalation e JOIN provisioning_step s"
                            " ON s.escalation_id = e.id GROUP BY e.reporter_id"
                            " HAVING count(s.done_at) = count(*)"
                        )
                    ).scalars()
                    now = time.monotonic()
                    for reporter in done:
                        opened_at.setdefault(reporter, now)
                time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)
        engine.dispose()
        standin.stop()
    owner_dm: list[float] = []
    for csm, owner in zip(csms, owners, strict=True):
        sent = [
            c.ended
            for c in workspace.calls_to("chat.postMessage")
            if c.args.get("channel") == owner and c.status == 200 and not c.error
        ]
        if csm in submitted and sent:
            owner_dm.append(min(sent) - submitted[csm])
    channels = workspace.case_channels()
    duplicates = (
        max(0, len(channels) - len(submitted))
        + sum(max(0, len(workspace.dm_messages(o)) - 1) for o in owners)
        + sum(max(0, len(c.bookmarks) - 1) for c in channels)
        + max(0, len(workspace.channel_named("escalations").messages) - len(submitted))  # type: ignore[union-attr]
    )
    last_open = max(opened_at.values(), default=start) - start
    slowest = max((opened_at[c] - submitted[c] for c in opened_at if c in submitted), default=0.0)
    kind = database_url.split(":", 1)[0].split("+")[0]
    print(
        f"{kind}: {cases} escalations in 60 s under Slack's rate limits, Slack answering {latency_ms} ms late"
    )
    print(f"  /escalate that did not open the form: {len(not_opened)} (target 0)")
    print(
        f"  fully open in Slack: {len(opened_at)}/{len(submitted)} cases; the last {last_open:.0f} s "
        f"after the first /escalate; slowest {slowest:.0f} s after its submission "
        f"(target < {TARGET_ALL_OPEN_S} s)"
    )
    if owner_dm:
        print(
            f"  owner told after submission: p50 {statistics.median(owner_dm):.1f} s  "
            f"max {max(owner_dm):.1f} s (target < {TARGET_OWNER_DM_S} s); "
            f"{len(owner_dm)}/{len(submitted)} owners told"
        )
    print(f"  duplicates (channels, owner DMs, bookmarks, feed posts): {duplicates} (target 0)")
    by_method = ", ".join(f"{m} {n}" for m, n in sorted(workspace.rate_limits.limited_by_method.items()))
    which = f": {by_method}" if by_method else ""
    print(f"  429s answered by Slack: {workspace.rate_limits.limited} (target {TARGET_429S}){which}")


def fresh_schema(database_url: str) -> None:
    """Each scenario on an empty database (the SQLite file too: the outage counted the cases of the
    burst before it)."""
    fresh(database_url).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--scenario", choices=["all", "at-once", "outage"], default="all")
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--latency-ms", type=int, default=50)
    args, _ = parser.parse_known_args()

    def both(url: str) -> None:
        if args.scenario in ("all", "at-once"):
            run(url, args.submissions, args.latency_ms)
        if args.scenario in ("all", "outage"):
            run_outage(url, args.cases, args.latency_ms)

    on_each_database(both, __doc__)


if __name__ == "__main__":
    main()
