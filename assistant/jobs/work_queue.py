"""The one queue of background Slack work: bounded workers, paced to Slack's limits, in order.

Each piece of work names the Slack method it starts with. The dispatcher hands
out the most urgent piece whose method has a token now (pieces waiting for a
busy method do not hold up the others), so no worker ever sleeps waiting for
Slack. Work given back (`Later`) waits in the queue, not in a thread.

Durability is the database's: every piece of work here is the in-memory turn
of something recorded in a table (a provisioning step not done, a reminder not
sent), claimed by the worker when it runs, and found again by a sweep after a
restart. So the queue can forget on a crash and several instances can share
the work. Pieces with the same key are one piece (a second Home refresh for
the same person while one waits is the same refresh).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from assistant.jobs.supervision import Supervisor, run_supervised
from assistant.logs import log_context
from assistant.slack.pacing import Paced, Pacer
from assistant.tracing import job_attributes, span

logger = logging.getLogger(__name__)
WORK_LOOP = "work-queue"


@dataclass(frozen=True)
class Later:
    """Work given back: run it again in `seconds`."""

    seconds: float


@dataclass(order=True)
class _Work:
    priority: tuple[Any, ...]
    sequence: int
    key: str = field(compare=False)
    run: Callable[[], Later | None] = field(compare=False)
    method: str | None = field(compare=False, default=None)
    channel: str | None = field(compare=False, default=None)
    not_before: float = field(compare=False, default=0.0)
    queued_at: float = field(compare=False, default_factory=time.monotonic)


class WorkQueue:
    def __init__(
        self,
        pacer: Pacer,
        *,
        workers: int = 8,
        before_dispatch: Callable[[], None] = lambda: None,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.pacer = pacer
        self.supervisor = supervisor or Supervisor()
        self.workers = workers
        # Called before each piece is handed out (lets Slack's acknowledgements go first in a burst).
        self.before_dispatch = before_dispatch
        self._queue: list[_Work] = []
        self._keys: set[str] = set()
        self._running: set[str] = set()
        self._again: dict[str, _Work] = {}
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work")
        self._stopping = False
        self._dispatcher = threading.Thread(
            target=run_supervised(self.supervisor, WORK_LOOP, self._dispatch),
            name="work-dispatcher",
            daemon=True,
        )
        # It waits while there is no work: only its thread ending is a failure (no pass to miss).
        self.supervisor.watch(WORK_LOOP, every_seconds=math.inf, thread=self._dispatcher)
        self._dispatcher.start()

    # -- putting work in --------------------------------------------------------

    def submit(
        self,
        key: str,
        run: Callable[[], Later | None],
        *,
        priority: tuple[Any, ...] = (),
        method: str | None = None,
        channel: str | None = None,
        delay: float = 0.0,
        sooner: bool = False,
    ) -> bool:
        """Queue a piece of work; False if the same key is waiting already (it is one piece;
        with `sooner`, it is brought forward if this asks for it earlier)."""
        work = _Work(priority, next(self._sequence), key, run, method, channel, time.monotonic() + delay)
        with self._condition:
            if self._stopping:
                return False
            if key in self._keys:
                waiting = next(w for w in self._queue if w.key == key)
                if sooner and work.not_before < waiting.not_before:
                    waiting.not_before = work.not_before
                    self._condition.notify()
                return False
            if key in self._running:
                # Asked for again while it runs: run it once more afterwards, so nothing is missed.
                self._again.setdefault(key, work)
                return False
            self._keys.add(key)
            heapq.heappush(self._queue, work)
            self._condition.notify()
        return True

    def run_all(
        self, pieces: list[tuple[str, Callable[[], None]]], *, priority: tuple[Any, ...], timeout: float
    ) -> None:
        """Run pieces of work in the queue and wait until each has finished. They wait for
        Slack's pace in their thread (they are never given back half done).

        The first exception a piece raised is raised here, once every piece had its turn.
        Past `timeout` it returns all the same: what is left keeps running, and its records
        (claims with leases) decide what happens next.
        """
        done = threading.Semaphore(0)
        failures: list[BaseException] = []

        def finishing(run: Callable[[], None]) -> Callable[[], Later | None]:
            def piece() -> Later | None:
                try:
                    with self.pacer.patient():
                        run()
                except BaseException as exc:
                    failures.append(exc)
                done.release()
                return None

            return piece

        submitted = sum(self.submit(key, finishing(run), priority=priority) for key, run in pieces)
        deadline = time.monotonic() + timeout
        for _ in range(submitted):
            if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
                logger.warning("background work still running after %.0f s", timeout)
                break
        if failures:
            raise failures[0]

    def waiting(self) -> int:
        with self._condition:
            return len(self._queue) + len(self._running)

    def oldest_waiting_seconds(self) -> float:
        """How long the oldest piece of work due now has waited for its turn (0 if none)."""
        now = time.monotonic()
        with self._condition:
            due = [now - max(w.queued_at, w.not_before) for w in self._queue if w.not_before <= now]
        return max(due, default=0.0)

    def idle(self) -> bool:
        return self.waiting() == 0

    # -- handing it out ---------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            with self._condition:
                while not self._queue or len(self._running) >= self.workers:
                    if self._stopping and not self._queue:
                        return
                    self._condition.wait()
            # Slack's acknowledgements go first in a burst; and the choice is made after that
            # wait, so a case stored earlier but queued during it is still chosen first.
            self.before_dispatch()
            with self._condition:
                work, wait = self._next_ready()
                if work is None:
                    if self._stopping and not self._queue:
                        return
                    self._condition.wait(timeout=wait)
                    continue
            self._pool.submit(self._run, work)

    def _next_ready(self) -> tuple[_Work | None, float | None]:
        """The most urgent piece that may run now, or how long until one may."""
        if len(self._running) >= self.workers:
            return None, None  # a worker finishing notifies
        now = time.monotonic()
        soonest: float | None = None
        skipped: list[_Work] = []
        chosen: _Work | None = None
        busy: set[tuple[str | None, str | None]] = set()
        while self._queue:
            work = heapq.heappop(self._queue)
            if work.not_before > now:
                skipped.append(work)
                soonest = _min(soonest, work.not_before - now)
                continue
            slot = (work.method, work.channel)
            if slot in busy:
                skipped.append(work)
                continue
            wait = self.pacer.reserve(work.method, work.channel)
            if wait > 0:
                busy.add(slot)
                skipped.append(work)
                soonest = _min(soonest, wait)
                continue
            chosen = work
            break
        for work in skipped:
            heapq.heappush(self._queue, work)
        if chosen is not None:
            self._keys.discard(chosen.key)
            self._running.add(chosen.key)
        return chosen, soonest

    def _run(self, work: _Work) -> None:
        later: Later | None = None
        try:
            about = job_attributes(work.key)
            traced = span(f"job {about['job.kind']}", attributes=about)
            logged = log_context(job=about["job.kind"], escalation_id=about["escalation.id"])
            with traced, logged, self.pacer.prepaid(work.method, work.channel):
                later = work.run()
        except Paced as paced:
            later = Later(paced.wait)
        except Exception as exc:  # a bug in one piece must not stop the queue; the sweep finds its record
            # Named by its kind only ("home", "provision"): a key may carry a user's id.
            self.supervisor.noted(WORK_LOOP, work.key.split(":")[0], exc)
        with self._condition:
            self._running.discard(work.key)
            again = self._again.pop(work.key, None)
            if later is not None and not self._stopping:
                work.not_before = time.monotonic() + later.seconds
                again = work
            if again is not None and again.key not in self._keys:
                self._keys.add(again.key)
                heapq.heappush(self._queue, again)
            self._condition.notify()

    def shutdown(self) -> None:
        """Finish what runs; forget what waits (its records bring it back on the next start)."""
        self.supervisor.forget(WORK_LOOP)
        with self._condition:
            self._stopping = True
            self._queue.clear()
            self._keys.clear()
            self._condition.notify_all()
        self._dispatcher.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=False)


def _min(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)
