"""No background worker dies silently: an item that raises is recorded on itself, backed off and
(after a few faults) parked with the managers told once, while the loop goes on with the next
item; a loop that stops or stalls makes /healthz answer 503 naming it.

Each test injects an arbitrary exception into one loop's item handler (wrapping the real one,
which still runs for every other item) and checks what users and operators see. The loops are the
app's parts, so most stories run on them alone (tests/parts.py's `Parts`: what is posted
in Slack, what /healthz would answer); customer e-mail (a real SMTP server) and the `work` commands
run the whole app end to end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, cast

import pytest
import time_machine
from sqlmodel import Session, select

from assistant.domain.account_rows import read_accounts
from assistant.domain.action_items import due_at
from assistant.domain.provisioning import Step
from assistant.jobs import customer_delivery as delivery
from assistant.jobs.action_items import ActionItemFollowUp
from assistant.jobs.customer_delivery import CustomerDelivery
from assistant.jobs.judgement import JudgementAsker
from assistant.jobs.reminders import ReminderDispatcher
from assistant.jobs.scheduler import guarded
from assistant.jobs.supervision import PARK_AFTER_FAULTS, Supervisor, describe
from assistant.models import CustomerCommunication, Escalation, WorkFault
from assistant.services import customer
from assistant.services import provisioning as steps
from assistant.services import reminders as reminder_table
from assistant.services.accounts import ImportReport, import_accounts
from assistant.services.action_items import open_items
from assistant.services.work_faults import retry
from tests.harness import (
    CSM,
    MANAGER,
    OWNER,
    ROOT,
    FlowButton,
    Harness,
    env_without_slack,
    in_hours,
    run_cli,
    start_harness,
    wait_for,
)
from tests.mailbox import Mailbox
from tests.parts import Parts, running_parts
from tests.test_action_items import DUE, SAO_PAULO, resolved_with_rca
from tests.test_health import get

SENDER = "Vendor Support <support@vendor.example>"
ANA = "Ana Souza <ana@acme.com.br>, CTO"


class Injected(RuntimeError):
    """The arbitrary exception a bug would raise."""


def failing_for(first: Callable[..., Any], *, when: Callable[..., bool]) -> Callable[..., Any]:
    """The real handler, except that it raises for the items `when` picks."""

    def handler(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            raise Injected("a bug")
        return first(*args, **kwargs)

    return handler


def faults(slack: Harness | Parts, loop: str) -> list[WorkFault]:
    with Session(slack.components.engine) as session:
        return list(session.exec(select(WorkFault).where(WorkFault.loop == loop)))


def parked_dms(slack: Harness | Parts) -> list[str]:
    return [m.text for m in slack.workspace.dm_messages(MANAGER) if "was parked" in m.text]


# -- customer delivery -------------------------------------------------------------------------


@pytest.fixture
def emailing(database_url: str, mailbox: Mailbox) -> Iterator[Harness]:
    running = start_harness(database_url, smtp_url=mailbox.url, smtp_from=SENDER)
    yield running
    running.stop()


def acknowledge_by_email(harness: Harness, case: Escalation) -> None:
    view_id = harness.open_flow(OWNER, case, FlowButton.ACKNOWLEDGE)
    view = harness.workspace.views[view_id]
    draft = next(b for b in view["blocks"] if b.get("block_id") == "customer_message")["element"]
    harness.submit(OWNER, view_id, next_update=in_hours(3), customer_message=draft["initial_value"])


def test_a_communication_that_raises_is_held_back_and_parked_while_the_next_goes_out(
    emailing: Harness, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = emailing
    first = harness.escalate(CSM, contacts=ANA, contact_language="pt_BR", contact_zone="America/Sao_Paulo")
    second = harness.escalate(CSM, contacts=ANA, contact_language="pt_BR", contact_zone="America/Sao_Paulo")
    monkeypatch.setattr(
        CustomerDelivery,
        "_send_email",
        failing_for(CustomerDelivery._send_email, when=lambda self, case, row, earlier: case.id == first.id),
    )
    acknowledge_by_email(harness, first)
    acknowledge_by_email(harness, second)

    # The second case's customer hears; the first's communication is held back, not lost.
    [message] = mailbox.wait(1)
    assert "[ESC-2]" in message["Subject"]
    [held] = customer.communications_of(harness.components.engine, first.id or 0)
    assert held.state == "queued" and held.last_error and held.last_error.startswith("Injected at ")
    assert held.next_attempt_at and held.next_attempt_at > datetime.now(UTC) + timedelta(seconds=20)
    [fault] = faults(harness, "customer-delivery")
    assert (fault.item, fault.faults, fault.case_id) == (f"communication:{held.id}", 1, first.id)
    # The owner hears in the case channel that it is not going out yet.
    wait_for(
        lambda: any("could not be sent yet" in m.text for m in harness.channel_of(first).messages),
        what="the owner told",
    )
    # Health: the loop runs (200) and the failing item is named.
    status, body = get(harness, "/readyz")
    assert status == 200 and body["status"] == "degraded"
    assert body["loops"]["customer-delivery"].startswith(f"running; an item failed: communication:{held.id}")
    assert any(p.startswith("customer-delivery: running; an item failed") for p in body["problems"])

    # Tried again after each back-off, it fails each time: parked at the fifth, managers told once.
    moment = datetime.now(UTC)
    for attempt in range(2, PARK_AFTER_FAULTS + 1):
        moment += timedelta(hours=1, minutes=1)
        with time_machine.travel(moment, tick=True):
            harness.components.customer.wake()
            # The default binds this attempt's number; mypy cannot infer such a lambda (python/mypy#15459).
            counted = cast(
                Callable[[], bool], lambda n=attempt: faults(harness, "customer-delivery")[0].faults == n
            )
            wait_for(counted, what=f"fault {attempt}")
    parked = wait_for(
        lambda: (
            (r := customer.communications_of(harness.components.engine, first.id or 0)[0]).state == "parked"
            and r
        ),
        what="parked",
    )
    assert parked.delivered_at is None
    told = wait_for(lambda: parked_dms(harness), what="the managers told")
    assert told == [f"Background work was parked after {PARK_AFTER_FAULTS} failures: communication:{held.id}"]
    with time_machine.travel(moment + timedelta(days=1), tick=True):
        harness.components.customer.wake()
        time.sleep(0.5)
    assert faults(harness, "customer-delivery")[0].faults == PARK_AFTER_FAULTS  # never tried again
    assert len(parked_dms(harness)) == 1 and len(mailbox.messages) == 1

    # The operator sees it, fixes the cause, and tries it again: it goes out, once.
    env = env_without_slack(harness)
    listed = run_cli(["work", "list"], env, ROOT)
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    fault_id = line.split("\t")[0]
    assert f"customer-delivery\tcommunication:{held.id} ESC-1\t5 fault(s)\tparked\tInjected at " in line
    monkeypatch.undo()
    retried = run_cli(["work", "retry", fault_id], env, ROOT)
    assert retried.stdout == f"communication:{held.id}: tried again now.\n", retried.stderr
    harness.components.customer.wake()
    assert "[ESC-1]" in mailbox.wait(2)[1]["Subject"]
    assert run_cli(["work", "list"], env, ROOT).stdout == "No background work is failing.\n"


def test_a_fault_after_the_email_went_out_holds_nothing_back_and_says_nothing_false(
    emailing: Harness, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = emailing
    case = harness.escalate(CSM, contacts=ANA, contact_language="pt_BR", contact_zone="America/Sao_Paulo")
    monkeypatch.setattr(delivery, "sent_message", failing_for(delivery.sent_message, when=lambda *a: True))
    acknowledge_by_email(harness, case)
    assert len(mailbox.wait(1)) == 1
    sent = cast(
        CustomerCommunication,
        wait_for(
            lambda: (
                (r := customer.communications_of(harness.components.engine, case.id or 0)[0]).delivered_at
                and r
            ),
            what="delivered",
        ),
    )
    wait_for(lambda: faults(harness, "customer-delivery"), what="the fault")
    time.sleep(0.5)
    assert sent.state == "delivered" and sent.failure_told_at is None
    assert not any("could not be sent yet" in m.text for m in harness.channel_of(case).messages)
    assert faults(harness, "customer-delivery")[0].resolved_at is not None
    time.sleep(0.5)
    assert len(mailbox.messages) == 1


def test_a_delivery_thread_that_ends_makes_health_fail_naming_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # E-mail set up: the delivery thread runs from the start (nothing is sent to this server).
    with running_parts(database_url, smtp_url="smtp://127.0.0.1:2525", smtp_from=SENDER) as parts:
        assert parts.health("/readyz")[0] == 200

        def dies(self: CustomerDelivery) -> None:
            raise SystemExit("the thread ends")  # not an Exception: nothing in the loop catches it

        monkeypatch.setattr(CustomerDelivery, "next_due", dies)
        parts.components.customer.wake()
        _, body = wait_for(lambda: (r := parts.health("/readyz"))[0] == 503 and r, what="health fails")
        assert body["failing"] == ["loop_customer-delivery"]
        assert body["loops"]["customer-delivery"].startswith("stopped (SystemExit at ")
        assert parts.health("/livez")[0] == 503


# -- the reminder clock ------------------------------------------------------------------------


def test_a_reminder_that_raises_is_recorded_and_the_next_case_is_reminded(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = parts.escalate(CSM)
    second = parts.escalate(CSM)
    monkeypatch.setattr(
        ReminderDispatcher,
        "deliver",
        failing_for(
            ReminderDispatcher.deliver, when=lambda self, reminder, now: reminder.escalation_id == first.id
        ),
    )
    assert second.ack_due_at is not None
    parts.components.reminders.tick(now=second.ack_due_at - timedelta(minutes=30))

    reminded = [m.text for m in parts.workspace.dm_messages(OWNER) if "please acknowledge" in m.text]
    assert len(reminded) == 1 and "ESC-2" in reminded[0]
    [held] = [
        r for r in reminder_table.reminders_of(parts.components.engine, first.id or 0) if r.kind == "ack_soon"
    ]
    assert held.last_error and held.last_error.startswith("Injected at ") and held.sent_at is None
    # Each of the first case's due reminders (its first hour's too) is recorded on itself, once.
    fault = next(f for f in faults(parts, "reminders") if f.item == f"reminder:{held.id}")
    assert fault.faults == 1
    body = parts.health("/readyz")[1]
    assert body["loops"]["reminders"].startswith("running; an item failed: reminder:")
    assert ": Injected" in body["loops"]["reminders"]


def test_a_reminder_pass_that_raises_outside_any_reminder_is_said_and_the_clock_stalls(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = parts.escalate(CSM)
    assert case.ack_due_at is not None
    monkeypatch.setattr(
        reminder_table, "claim_due", failing_for(reminder_table.claim_due, when=lambda *a, **k: True)
    )
    clock = parts.components.heartbeat
    before = clock.ages().get("reminders")
    assert parts.components.reminders.tick(now=case.ack_due_at) == 0  # it does not raise
    assert clock.ages().get("reminders") == before  # not marked as having rung
    planned = parts.components.reminders.next_at
    assert planned is not None and planned > datetime.now(UTC)  # tried again shortly, not spinning
    body = parts.health("/readyz")[1]
    assert body["loops"]["reminders"].startswith("running; an item failed: pass: Injected at ")
    monkeypatch.undo()
    # The acknowledgement's reminder, and the first hour's reminder and breach before it.
    assert parts.components.reminders.tick(now=case.ack_due_at - timedelta(minutes=30)) == 3


# -- the provisioning queue --------------------------------------------------------------------


def test_a_provisioning_step_that_raises_is_recorded_and_other_cases_open(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    provisioner = parts.components.provisioner
    real = provisioner._steps[Step.CARD]
    monkeypatch.setitem(
        provisioner._steps, Step.CARD, failing_for(real, when=lambda case, row: case.summary == "broken")
    )
    views = [parts.intake(CSM, summary="broken"), parts.intake(CSM, summary="fine")]
    broken, fine = (wait_for(partial(parts.case_by_view, v), what="stored") for v in views)

    parts.wait_provisioned(fine.id)
    wait_for(lambda: faults(parts, "provisioning"), what="the fault recorded")
    assert Step.CARD in steps.pending_steps(parts.components.engine, broken.id or 0)
    [fault] = faults(parts, "provisioning")
    assert fault.item == f"step:{broken.id}:card" and fault.last_error.startswith("Injected at ")
    body = parts.health("/readyz")[1]
    assert body["loops"]["provisioning"].startswith(f"running; an item failed: step:{broken.id}:card")
    # The repair sweep leaves it alone while it waits out its back-off.
    assert broken.id not in parts.components.provisioner.repair()
    # Parked (as after five faults), it is never run again, however it is queued.
    supervisor = parts.components.supervisor
    for _ in range(PARK_AFTER_FAULTS - 1):
        supervisor.item_failed("provisioning", f"step:{broken.id}:card", Injected("again"))
    attempts = steps.pending_steps(parts.components.engine, broken.id or 0)[Step.CARD].attempts
    parts.components.provisioner.provision(broken.id or 0)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=True):
        parts.components.provisioner.repair()
    time.sleep(1.0)
    assert steps.pending_steps(parts.components.engine, broken.id or 0)[Step.CARD].attempts == attempts
    assert faults(parts, "provisioning")[0].faults == PARK_AFTER_FAULTS


# -- the judgement tier ------------------------------------------------------------------------


def load_directory(parts: Parts, csv_text: str, at: datetime) -> ImportReport:
    """Accounts into the directory as CS ops would import them (every row must be good)."""
    rows, problems = read_accounts(csv_text, json_format=False, default_currency="USD")
    assert problems == [], problems
    rules = parts.components.content.practice.judgement
    return import_accounts(parts.components.engine, rows, rules=rules, now=at)


HEADER = "name,crm_id,contract_value,currency,csm,health,contacts,language,timezone\n"


def test_a_judgement_question_that_raises_is_recorded_and_the_next_is_asked(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC) - timedelta(days=5)
    rows = "Acme,0015A,120000,USD,U0CSM0001,{h},,,\nGlobex,0015G,220000,USD,U0CSM0001,{h},,,\n"
    load_directory(parts, HEADER + rows.format(h=80), start)
    assert load_directory(parts, HEADER + rows.format(h=20), start + timedelta(days=2)).raised == 2
    monkeypatch.setattr(
        JudgementAsker,
        "question",
        staticmethod(
            failing_for(JudgementAsker.question, when=lambda request, account, rules: account.name == "Acme")
        ),
    )
    assert parts.components.judgement.sweep() == 1
    asked = [m.text for m in parts.workspace.dm_messages(CSM) if "Globex" in m.text]
    assert asked
    [fault] = faults(parts, "judgement")
    assert fault.faults == 1 and fault.last_error.startswith("Injected at ")
    assert parts.components.judgement.sweep() == 0  # backed off: not asked again at once


# -- jobs of the clock: a pass that raises, a loop that stalls -----------------------------------


def test_a_job_pass_that_raises_is_named_and_one_that_stops_passing_fails_health(parts: Parts) -> None:
    supervisor = parts.components.supervisor
    calls: list[int] = []

    def sweep() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise Injected("a bug")

    supervisor.min_stall_seconds = 0.0  # (a minute at least in the app: not waited for here)
    job = guarded("repair sweep", sweep, supervisor, 0.3)
    job()  # raises inside: the job survives, its next turn runs
    body = parts.health("/readyz")[1]
    assert body["loops"]["repair-sweep"].startswith("running; an item failed: pass: Injected at ")
    job()
    assert len(calls) == 2
    assert parts.health("/readyz")[0] == 200
    time.sleep(0.8)  # two intervals without a completed pass
    status, body = parts.health("/readyz")
    assert status == 503 and body["failing"] == ["loop_repair-sweep"]
    assert body["loops"]["repair-sweep"].startswith("stalled")


def test_a_fault_is_described_by_kind_and_place_never_by_its_text() -> None:
    try:
        raise ValueError("Ana Souza <ana@acme.com.br> said: the secret is 42")
    except ValueError as exc:
        said = describe(exc)
    assert said.startswith("ValueError at test_supervision.py:") and "Ana" not in said


def test_the_same_item_faulting_after_a_restart_counts_on(database_url: str) -> None:
    from assistant.database import make_engine

    engine = make_engine(database_url)
    try:
        for expected in range(1, PARK_AFTER_FAULTS + 1):
            supervisor = Supervisor(engine=engine)  # a new process each time
            handled = supervisor.handle("webhooks", "webhook:7", lambda: 1 / 0)
            assert not handled
            [row] = Session(engine).exec(select(WorkFault)).all()
            assert row.faults == expected
        assert row.parked_at is not None and row.next_try_at is None
        assert Supervisor(engine=engine).held("webhooks", ["webhook:7", "webhook:8"]) == {"webhook:7"}

        # Tried again (work retry) and handled by another process: the fault is closed there too.
        told: list[int] = []
        retry(engine, row.id or 0)
        again = Supervisor(engine=engine, on_parked=lambda fault: told.append(fault.faults))
        again.handle("webhooks", "webhook:7", lambda: None)
        with Session(engine) as session:
            assert session.exec(select(WorkFault)).one().resolved_at is not None
        # A new run of faults counts from one, and parking again tells the managers again.
        for _ in range(PARK_AFTER_FAULTS):
            again.handle("webhooks", "webhook:7", lambda: 1 / 0)
        assert told == [PARK_AFTER_FAULTS]
    finally:
        engine.dispose()


# -- action items ------------------------------------------------------------------------------


def test_an_action_item_that_raises_is_recorded_and_the_other_is_followed_up(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolved_with_rca(parts)  # two action items: one the owner's, one the manager's
    mine = next(i for i in open_items(parts.components.engine) if i.owner_id == OWNER)
    monkeypatch.setattr(
        ActionItemFollowUp,
        "_tell",
        failing_for(ActionItemFollowUp._tell, when=lambda self, item, alert, now: item.owner_id == OWNER),
    )
    sweep = parts.components.action_items.sweep
    moment = due_at(DUE, SAO_PAULO) - timedelta(hours=20)
    assert sweep(now=moment) == 1  # the manager's item: reminded all the same
    assert any("Alert 30 days before expiry" in m.text for m in parts.workspace.dm_messages(MANAGER))
    [fault] = faults(parts, "action-items")
    assert fault.item == f"action-item:{mine.id}" and fault.faults == 1
    assert sweep(now=moment) == 0 and faults(parts, "action-items")[0].faults == 1  # backed off
