"""Cost against history: 10,000 cases (1,000 open), then 100,000 (10,000 open). Prints; asserts nothing.

    python bench/scale.py [--sizes 10000,100000] [--database-url URL]

For each size the database is seeded afresh by bench/seed.py (cases, events,
reminders, provisioning rows with history), then each operation that runs while
people work is timed, beside its target at 100,000 cases:
- an idle reminder tick (nothing due): < 2 ms, flat in history;
- an escalation manager's Home tab (the portfolio of every open case), built: < 150 ms;
- `/escalate list` for a CSM: < 100 ms;
- the weekly digest, computed: < 1 s;
- the repair sweep (looking for half-opened cases): flat in history;
- `export --format csv` of every case, as its own process: peak memory < 150 MB, time ~linear.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT, fresh, on_each_database, percentile
from seed import BENCH_CSM, BENCH_MANAGER, seed

from assistant.components import create_components
from assistant.domain.portfolio import Filters
from assistant.services import provisioning as records
from assistant.services.cases import open_cases
from slack_standin import StandIn
from tests.harness import make_settings, seed_workspace

TARGETS = {
    "idle reminder tick": "< 2 ms",
    "manager's Home tab, built": "< 150 ms",
    "/escalate list, a CSM's cases": "< 100 ms",
    "weekly digest, computed": "< 1000 ms",
    "repair sweep": "flat",
}


def timed(call: Callable[[], object], runs: int) -> list[float]:
    call()  # warm-up: caches, the first connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def export_cost(url: str) -> tuple[float, float]:
    """Seconds and peak MiB of `python -m assistant export` writing every case to a file."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        script = (
            # VmHWM, not ru_maxrss: the latter counts the forking parent's memory too.
            "import runpy, sys; sys.argv = ['assistant', 'export', '--format', 'csv', "
            f"'--output', {str(Path(tmp) / 'cases.csv')!r}]\n"
            "try:\n    runpy.run_module('assistant', run_name='__main__')\n"
            "finally:\n    print(next(line.split()[1] for line in open('/proc/self/status')"
            " if line.startswith('VmHWM')), file=sys.stderr)"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={
                "DATABASE_URL": url,
                "SLACK_BOT_TOKEN": "xoxb-export-only",
                "SLACK_SIGNING_SECRET": "export-only",
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(ROOT),
            },
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.monotonic() - started
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def run_size(url: str, cases: int) -> None:
    engine = fresh(url)
    now = datetime.now(UTC)
    started = time.monotonic()
    counts = seed(engine, cases, cases // 10, now)
    print(
        f"  {cases:,} cases ({cases // 10:,} open): seeded in {time.monotonic() - started:.0f} s "
        f"({counts.get('case_event', 0):,} events, {counts.get('reminder', 0):,} reminders)"
    )
    with StandIn() as standin:
        seed_workspace(standin.workspace)
        settings = make_settings(standin, url, escalation_manager_ids=BENCH_MANAGER)
        components = create_components(settings, engine=engine)
        try:
            measured = {
                "idle reminder tick": timed(lambda: components.reminders.tick(now), 50),
                "manager's Home tab, built": timed(
                    lambda: components.home.view(BENCH_MANAGER, Filters(), 0), 10
                ),
                "/escalate list, a CSM's cases": timed(
                    lambda: open_cases(engine, involving=BENCH_CSM, limit=16), 20
                ),
                "weekly digest, computed": timed(lambda: components.digest.compute(now), 3),
                "repair sweep": timed(
                    lambda: records.steps_to_repair(engine, retry_interval=timedelta(seconds=15)), 20
                ),
            }
        finally:
            components.close()
    for label, times in measured.items():
        print(
            f"    {label}: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms "
            f"(target at 100k: {TARGETS[label]})"
        )
    seconds, peak = export_cost(url)
    print(f"    export --format csv: {seconds:.1f} s, peak {peak:.0f} MiB (target: < 150 MiB, ~linear time)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--sizes", default="10000,100000")
    sizes = [int(s) for s in parser.parse_known_args()[0].sizes.split(",")]

    def each(url: str) -> None:
        print(f"\n== {url.split('://')[0]}")
        for size in sizes:
            run_size(url, size)

    on_each_database(each, __doc__)


if __name__ == "__main__":
    main()
