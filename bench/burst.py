"""Slack's 3 seconds under a burst: 100 intake submissions at once. Prints numbers; asserts nothing.

    python bench/burst.py [--submissions 100] [--latency-ms 50] [--database-url URL]

The real app runs as its own process (`python -m assistant serve`) against the
Slack stand-in, which answers every Web API call `--latency-ms` late. 100 CSMs
submit the intake modal at the same moment; what is measured is the time until
the app answers each submission (Slack shows an error past 3 s, although the
case is saved), then the time until every case is open in Slack.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from common import on_each_database, percentile

from slack_standin import StandIn
from slack_standin.sender import SlackSender
from slack_standin.workspace import User
from tests.harness import (
    SIGNING_SECRET,
    default_intake,
    free_port,
    seed_workspace,
    start_app_process,
)

TARGET_P99_MS = 1000
SLACK_DEADLINE_MS = 3000


def run(database_url: str, submissions: int, latency_ms: int) -> None:
    engine = sa.create_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    standin = StandIn().start()
    workspace = standin.workspace
    seed_workspace(workspace)
    csms = [workspace.add_user(User(f"U0BURST{i:04d}", f"csm{i}", f"CSM {i}")).id for i in range(submissions)]
    general = workspace.channel_named("general")
    assert general is not None
    port = free_port()
    process = start_app_process(standin, database_url, port)
    try:
        sender = SlackSender(
            workspace, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, standin.base_url
        )
        views = []
        for csm in csms:  # each CSM opens the modal (before the burst)
            before = len(workspace.views)
            sender.slash_command(csm, "", channel_id=general.id)
            while len(workspace.views) == before:
                time.sleep(0.002)
            views.append(list(workspace.views)[-1])
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


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=50)
    args, _ = parser.parse_known_args()
    on_each_database(lambda url: run(url, args.submissions, args.latency_ms), __doc__)


if __name__ == "__main__":
    main()
