"""One supervision for every background loop: no worker dies silently.

Every loop (the reminder clock, the provisioning queue, customer delivery, webhooks, the
judgement, action-item and digest checks, the repair sweep) is watched here, and every item it
handles goes through `Supervisor.handle`:

- an unexpected exception while handling one item (a bug, or data no rule foresaw) is recorded
  on that item (the `work_fault` table: how many times, the exception's kind and where it was
  raised, the next try after a back-off), and the loop goes on with the next item;
- after `PARK_AFTER_FAULTS` faults the item is parked (no more tries) and the escalation
  managers are told once;
- a loop whose thread ended, or that has shown no progress (a pass or an item) for two of its
  intervals, makes the health check answer 503 naming it; a recent item fault shows there too.

Expected failures (Slack, the database or the mail server unavailable) are not faults: each loop
retries those itself, as before. Nothing of the item's text reaches the log: only its kind and id.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.models import WorkFault, utcnow

logger = logging.getLogger(__name__)

PARK_AFTER_FAULTS = 5
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# A loop is stalled when it has shown no progress for this many of its intervals, and for at least
# this long (a job every second is not "stalled" by one slow pass under load).
STALLED_AFTER_INTERVALS = 2
MIN_STALL_SECONDS = 60.0
# An item fault is shown on the health check this long after it happened (the loop still runs).
RECENT_FAULT_SECONDS = 15 * 60


# The database not answering is an outage, not a fault of the item at hand: the loop's own
# handling waits it out (and a fault could not be recorded anyway).
DATABASE_OUTAGES: tuple[type[BaseException], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)


def backoff(faults: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, then an hour."""
    return min(FIRST_BACKOFF * 4 ** max(0, faults - 1), MAX_BACKOFF)


def describe(exc: BaseException) -> str:
    """The exception's kind and where it was raised: never its message, which may quote customer
    text (a header value, a name)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/assistant/" in f.filename.replace("\\", "/")] or frames
    if not ours:
        return type(exc).__name__
    where = ours[-1]
    return f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"


@dataclass
class Fault:
    """What became of an item that raised: when it is tried again, or that it is parked."""

    loop: str
    item: str
    faults: int
    error: str
    next_try_at: datetime | None
    parked: bool


@dataclass
class _Loop:
    every_seconds: float
    last_progress: float
    thread: threading.Thread | None = None
    stopped: str | None = None
    faults: int = 0
    last_fault: str | None = None
    last_fault_at: float | None = None


@dataclass
class Supervisor:
    """The loops of this process and what became of their items (faults are in the database too,
    so a restart keeps counting them)."""

    engine: sa.Engine | None = None
    # Told when an item is parked (the managers' DM); set once Slack is reachable.
    on_parked: Callable[[WorkFault], None] | None = None
    # The shortest silence that counts as a stall, whatever a loop's interval.
    min_stall_seconds: float = MIN_STALL_SECONDS
    _loops: dict[str, _Loop] = field(default_factory=dict)
    _faulty: set[tuple[str, str]] = field(default_factory=set)
    # Loops whose open faults were read from the database (once per loop and process), so that a
    # success after a restart resolves a fault recorded before it.
    _loaded: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- loops --------------------------------------------------------------------------

    def watch(self, loop: str, *, every_seconds: float, thread: threading.Thread | None = None) -> None:
        """A loop starts: it counts as having made progress now (a fresh start is not stalled)."""
        with self._lock:
            known = self._loops.get(loop)
            if known is None:
                self._loops[loop] = _Loop(every_seconds, time.time(), thread)
            else:
                known.every_seconds, known.thread, known.stopped = every_seconds, thread, None
                known.last_progress = time.time()

    def progress(self, loop: str, at: datetime | None = None) -> None:
        """A pass completed, or an item was handled: the loop is alive."""
        with self._lock:
            state = self._loops.get(loop)
            if state is not None:
                state.last_progress = at.timestamp() if at else time.time()

    def stopped(self, loop: str, exc: BaseException | None) -> None:
        """A loop's thread ended on its own (not asked to stop)."""
        why = describe(exc) if exc else "ended"
        logger.error("background loop %s stopped (%s)", loop, why)
        with self._lock:
            state = self._loops.get(loop)
            if state is not None:
                state.stopped = why

    def forget(self, loop: str) -> None:
        """A loop asked to stop (the app shuts down): no longer watched."""
        with self._lock:
            self._loops.pop(loop, None)

    def pass_failed(self, loop: str, exc: BaseException) -> None:
        """A whole pass raised unexpectedly (not one item): logged once with where; the loop goes on,
        and shows as stalled if it keeps failing."""
        why = describe(exc)
        logger.error("background loop %s: a pass failed (%s)", loop, why)
        with self._lock:
            state = self._loops.setdefault(loop, _Loop(math.inf, time.time()))
            state.faults += 1
            state.last_fault, state.last_fault_at = f"pass: {why}", time.time()

    # -- items --------------------------------------------------------------------------

    def handle(
        self,
        loop: str,
        item: str,
        work: Callable[[], object],
        *,
        case_id: int | None = None,
        on_fault: Callable[[Fault], None] | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Handle one item; False if it raised. `item` names it by kind and id ("reminder:12").

        `on_fault` records the fault on the item's own row as well (its next attempt pushed back,
        or its state parked) so the loop's own claims pass it over. The database being
        unreachable is the loop's own business: raised to it unchanged."""
        try:
            work()
        except DATABASE_OUTAGES:
            raise
        except Exception as exc:
            fault = self.item_failed(loop, item, exc, case_id=case_id, now=now)
            if on_fault is not None:
                try:
                    on_fault(fault)
                except Exception as again:  # even recording it failed: the log and health have it
                    logger.error("%s: could not record the fault of %s (%s)", loop, item, describe(again))
            return False
        self.progress(loop)
        if self.may_hold(loop) and (loop, item) in self._faulty:
            self.resolve(loop, item)
        return True

    def may_hold(self, loop: str) -> bool:
        """Whether any item of `loop` has an open fault (this process's, or one recorded before it
        started): read from the database once per loop, then kept in memory."""
        if loop not in self._loaded and self.engine is not None:
            try:
                with Session(self.engine) as session:
                    items = session.exec(
                        select(WorkFault.item).where(
                            WorkFault.loop == loop, col(WorkFault.resolved_at).is_(None)
                        )
                    ).all()
            except sa.exc.SQLAlchemyError:
                return True  # unknown: look
            with self._lock:
                self._faulty.update((loop, item) for item in items)
                self._loaded.add(loop)
        with self._lock:
            return any(name == loop for name, _ in self._faulty)

    def noted(self, loop: str, kind: str, exc: BaseException) -> None:
        """A piece of in-memory work raised (its own record, if any, is found again by a sweep):
        logged with where, and shown on the health check for a while."""
        why = describe(exc)
        logger.error("%s: a piece of %s work failed (%s)", loop, kind, why)
        with self._lock:
            state = self._loops.setdefault(loop, _Loop(math.inf, time.time()))
            state.faults += 1
            state.last_fault, state.last_fault_at = f"{kind}: {why}", time.time()

    def item_failed(
        self,
        loop: str,
        item: str,
        exc: BaseException,
        *,
        case_id: int | None = None,
        now: datetime | None = None,
    ) -> Fault:
        """Record an item's fault (the back-off counts from `now`, the loop's own clock)."""
        why = describe(exc)
        with self._lock:
            self._faulty.add((loop, item))
            # Work without a pass of its own (the provisioning queue) is named all the same.
            state = self._loops.setdefault(loop, _Loop(math.inf, time.time()))
            if state is not None:
                state.faults += 1
                state.last_fault, state.last_fault_at = f"{item}: {why}", time.time()
                state.last_progress = time.time()  # the loop itself is alive: it goes on
        fault = self._record(loop, item, why, case_id, now or utcnow())
        if fault.parked:
            logger.error(
                "%s: %s failed %s times (%s); parked, the managers are told", loop, item, fault.faults, why
            )
        else:
            logger.error(
                "%s: %s failed (%s), fault %s; tried again after %s",
                loop,
                item,
                why,
                fault.faults,
                fault.next_try_at.isoformat() if fault.next_try_at else "-",
            )
        return fault

    def _record(self, loop: str, item: str, why: str, case_id: int | None, now: datetime) -> Fault:
        if self.engine is None:
            return Fault(loop, item, 1, why, now + backoff(1), parked=False)
        try:
            return self._record_once(loop, item, why, case_id, now)
        except sa.exc.IntegrityError:  # another instance recorded its first fault at this moment
            try:
                return self._record_once(loop, item, why, case_id, now)
            except sa.exc.SQLAlchemyError as exc:
                logger.warning("%s: the fault of %s is not recorded (%s)", loop, item, type(exc).__name__)
                return Fault(loop, item, 1, why, now + backoff(1), parked=False)

    def _record_once(self, loop: str, item: str, why: str, case_id: int | None, now: datetime) -> Fault:
        try:
            with Session(self.engine) as session:
                row = session.exec(
                    select(WorkFault).where(WorkFault.loop == loop, WorkFault.item == item)
                ).first()
                if row is None:
                    row = WorkFault(loop=loop, item=item, case_id=case_id, first_at=now, last_at=now)
                if row.resolved_at is not None:  # a new run of faults: counted, parked and told anew
                    row.faults, row.parked_at, row.told_at = 0, None, None
                row.faults += 1
                row.resolved_at = None
                row.last_at, row.last_error = now, why[:300]
                parked = row.faults >= PARK_AFTER_FAULTS
                row.next_try_at = None if parked else now + backoff(row.faults)
                row.parked_at = (row.parked_at or now) if parked else None
                session.add(row)
                session.commit()
                session.refresh(row)
        except sa.exc.IntegrityError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            logger.warning("%s: the fault of %s is not recorded (%s)", loop, item, type(exc).__name__)
            return Fault(loop, item, 1, why, now + backoff(1), parked=False)
        if parked:
            self.tell_parked(row)
        return Fault(loop, item, row.faults, why, row.next_try_at, parked=parked)

    def tell_parked(self, row: WorkFault) -> None:
        """Tell the managers of a parked item (once: marked told when it went out)."""
        if self.on_parked is None or row.told_at is not None:
            return
        try:
            self.on_parked(row)
        except Exception as exc:  # the repair sweep tells it again
            logger.warning("could not tell the managers that %s is parked (%s)", row.item, describe(exc))
            return
        if self.engine is not None:
            try:
                with Session(self.engine) as session:
                    session.execute(
                        sa.update(WorkFault).where(col(WorkFault.id) == row.id).values(told_at=utcnow())
                    )
                    session.commit()
            except sa.exc.SQLAlchemyError:  # told; the ledger keeps a second DM from going out
                logger.warning("could not record that the managers were told of %s", row.item)

    def tell_untold(self) -> None:
        """Parked items whose managers were not told yet (Slack was down then): told now."""
        if self.engine is None or self.on_parked is None:
            return
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(WorkFault).where(
                        col(WorkFault.parked_at).is_not(None), col(WorkFault.told_at).is_(None)
                    )
                )
            )
        for row in rows:
            self.tell_parked(row)

    def resolve(self, loop: str, item: str) -> None:
        """The item was handled (or needs no more tries): its fault is closed."""
        with self._lock:
            self._faulty.discard((loop, item))
        if self.engine is None:
            return
        try:
            with Session(self.engine) as session:
                session.execute(
                    sa.update(WorkFault)
                    .where(col(WorkFault.loop) == loop, col(WorkFault.item) == item)
                    .values(resolved_at=utcnow(), next_try_at=None)
                )
                session.commit()
        except sa.exc.SQLAlchemyError:
            pass  # only bookkeeping: the item itself was handled

    def held(self, loop: str, items: Iterable[str], now: datetime | None = None) -> set[str]:
        """Of these items, those not to be tried now: parked, or waiting out their back-off."""
        wanted = list(items)
        if self.engine is None or not wanted:
            return set()
        now = now or utcnow()
        with Session(self.engine) as session:
            rows = session.exec(
                select(WorkFault.item, WorkFault.next_try_at, WorkFault.parked_at).where(
                    WorkFault.loop == loop,
                    col(WorkFault.item).in_(wanted),
                    col(WorkFault.resolved_at).is_(None),
                )
            ).all()
        return {item for item, next_try, parked in rows if parked or (next_try and next_try > now)}

    # -- what the health check says ------------------------------------------------------

    def loop_facts(self) -> list[tuple[str, float, int]]:
        """Each loop watched: (name, seconds since its last progress, faults since start)."""
        now = time.time()
        with self._lock:
            return [
                (name, max(0.0, now - s.last_progress), s.faults) for name, s in sorted(self._loops.items())
            ]

    def report(self) -> tuple[list[str], dict[str, str]]:
        """(the loops failing: stopped or stalled, by name; each loop's state in a word or two)."""
        now = time.time()
        failing: list[str] = []
        states: dict[str, str] = {}
        with self._lock:
            for name, state in sorted(self._loops.items()):
                dead = state.thread is not None and not state.thread.is_alive()
                if state.stopped or dead:
                    states[name] = f"stopped ({state.stopped or 'thread ended'})"
                    failing.append(name)
                elif now - state.last_progress > max(
                    STALLED_AFTER_INTERVALS * state.every_seconds, self.min_stall_seconds
                ):
                    states[name] = f"stalled ({round(now - state.last_progress)} s without progress)"
                    failing.append(name)
                elif state.last_fault_at is not None and now - state.last_fault_at < RECENT_FAULT_SECONDS:
                    states[name] = f"running; an item failed: {state.last_fault}"
                else:
                    states[name] = "ok"
        return failing, states


def run_supervised(supervisor: Supervisor, loop: str, body: Callable[[], None]) -> Callable[[], None]:
    """A thread's target that tells the supervisor if it ends by an exception."""

    def target() -> None:
        try:
            body()
        except BaseException as exc:  # the thread ends here: said once, by kind and place only
            supervisor.stopped(loop, exc)

    return target
