"""A rolling restart under load (issue 25, part 4), shared by its test and its benchmark: two app
processes on one PostgreSQL behind a round-robin "load balancer", a steady stream of /escalate
commands and submissions (each case's acknowledgement reminder due at once), and each instance in
turn taken out of rotation, sent SIGTERM, started again and put back."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from slack_standin import StandIn
from tests.harness import CSM, OWNER, app_sender, default_intake, free_port, start_app_process, wait_for

ANSWER_WITHIN = 3.0


@dataclass
class Rolled:
    submitted: int = 0
    answer_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    restarts: list[float] = field(default_factory=list)  # seconds from SIGTERM to serving again


def roll(standin: StandIn, database_url: str, *, before: float, between: float, after: float) -> Rolled:
    """Run the load, restart each instance in turn, stop the load; the counts and times."""
    workspace = standin.workspace
    env = {"ACK_WITHIN_MINUTES": "5", "REMINDER_LEASE_SECONDS": "2", "PROVISIONING_LEASE_SECONDS": "5"}
    ports = [free_port(), free_port()]
    processes = [start_app_process(standin, database_url, port, **env) for port in ports]
    live = set(ports)
    lock = threading.Lock()
    stop = threading.Event()
    result = Rolled()
    general = workspace.channel_named("general")
    assert general is not None

    def timed_post(port: int, send: object) -> bool:
        started = time.monotonic()
        response = send(app_sender(standin, port))  # type: ignore[operator]
        took = time.monotonic() - started
        result.answer_seconds.append(took)
        if response.status != 200 or took > ANSWER_WITHIN:
            result.failures.append(f"{response.status} in {took:.2f}s")
            return False
        return True

    def load() -> None:
        turn = 0
        while not stop.is_set():
            with lock:
                port = sorted(live)[turn % len(live)]
            turn += 1
            before_views = set(workspace.views)
            if not timed_post(port, lambda s: s.slash_command(CSM, "", channel_id=general.id)):
                continue

            def new_views(seen: set[str] = before_views) -> set[str]:
                return set(workspace.views) - seen

            opened = wait_for(new_views, what="the intake modal")
            view_id = sorted(opened)[-1]
            with lock:
                port = sorted(live)[turn % len(live)]
            values = default_intake(summary=f"Rolling {turn}", stakeholders=[])
            if timed_post(port, lambda s, v=view_id, answers=values: s.submit_view(CSM, v, answers)):
                result.submitted += 1
            time.sleep(0.2)

    loader = threading.Thread(target=load)
    loader.start()
    try:
        time.sleep(before)
        for index, port in enumerate(ports):
            with lock:
                live.discard(port)  # drained first, as a load balancer does on a rolling update
            time.sleep(0.5)
            started = time.monotonic()
            processes[index].send_signal(signal.SIGTERM)
            processes[index].wait(timeout=30)
            processes[index] = start_app_process(standin, database_url, port, **env)
            result.restarts.append(time.monotonic() - started)
            with lock:
                live.add(port)
            time.sleep(between)
        time.sleep(after)
    finally:
        stop.set()
        loader.join(timeout=30)
    try:
        wait_for(
            lambda: len(workspace.case_channels()) >= result.submitted, timeout=60, what="every case open"
        )
        wait_for(
            lambda: reminders_sent(standin) >= result.submitted, timeout=60, what="every due reminder sent"
        )
        time.sleep(2)  # anything sent twice would be sent by now
    finally:
        for process in processes:
            stop_process(process)
    return result


def reminder_keys(standin: StandIn) -> list[str]:
    """The delivery key of each reminder DM the owner got (one a reminder, if sent once)."""
    return [
        key
        for m in standin.workspace.dm_messages(OWNER)
        if (key := str(((m.metadata or {}).get("event_payload") or {}).get("delivery") or "")).startswith(
            "reminder:"
        )
    ]


def reminders_sent(standin: StandIn) -> int:
    return len(set(reminder_keys(standin)))


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
