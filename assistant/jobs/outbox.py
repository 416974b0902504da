"""The loop every outbox sender runs: its own thread, woken when something is owed, otherwise at
the next due attempt (at least every few seconds). The truth is the sender's table, so a crash
loses nothing: what was not delivered is found again at the next start.

The thread is supervised (assistant/supervision.py): each item is handled through the
supervisor, so one that raises is recorded on it and the loop goes on; a pass that raises is
logged and tried again; a thread that ends or stalls shows on the health check."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime
from typing import Self

import sqlalchemy as sa

from assistant.jobs.supervision import Supervisor, run_supervised
from assistant.models import utcnow

logger = logging.getLogger(__name__)


class OutboxLoop:
    name = "outbox"
    idle_seconds = 5.0
    # The longest one item may take (a mail server's or an endpoint's time-out): a pass that long
    # is not a stall.
    item_seconds = 30.0

    def __init__(self, supervisor: Supervisor | None = None) -> None:
        self.supervisor = supervisor or Supervisor()
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def tick(self, limit: int = 20) -> int:
        """Deliver what is due; how many were claimed (a full batch means: look again)."""
        raise NotImplementedError

    def next_due(self) -> datetime | None:
        raise NotImplementedError

    def start(self) -> Self:
        with self._starting:  # woken from several threads at once: one thread all the same
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=run_supervised(self.supervisor, self.name, self._run), name=self.name, daemon=True
                )
                self.supervisor.watch(
                    self.name, every_seconds=self.idle_seconds + self.item_seconds, thread=self._thread
                )
                self._thread.start()
        return self

    def wake(self) -> None:
        """Something is owed: deliver it now (the thread starts at the first one)."""
        self.start()
        self._wake.set()

    def stop(self) -> None:
        self.supervisor.forget(self.name)  # asked to stop: not a loop that died
        self._stopping.set()
        self._wake.set()
        with self._starting:  # a thread being started by a wake-up right now is started first
            thread = self._thread
        if thread is not None:
            thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                while self.tick() and not self._stopping.is_set():
                    pass  # a full batch: there may be more
                due = self.next_due()
                wait = self.idle_seconds
                if due is not None:
                    wait = min(self.idle_seconds, max(0.05, (due - utcnow()).total_seconds()))
                self.supervisor.progress(self.name)
            except sa.exc.SQLAlchemyError as exc:
                logger.warning("%s: the database is unavailable (%s)", self.name, type(exc).__name__)
                wait = self.idle_seconds
            except Exception as exc:  # a bug outside any one item: logged with where, tried again
                self.supervisor.pass_failed(self.name, exc)
                wait = self.idle_seconds
            self._wake.wait(wait)
