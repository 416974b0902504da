"""The 24-hour judgement tier's rules, with a controlled clock: each fires once per episode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.domain.judgement import (
    Concern,
    JudgementRules,
    Reading,
    Signal,
    SignalKind,
    concerns,
    decision_maker_lost,
    health_drop,
    qbrs_missed,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RULES = JudgementRules()


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_a_fall_below_30_within_a_week_on_an_enterprise_account_is_raised_once_per_fall() -> None:
    readings = [Reading(day(0), 45), Reading(day(3), 25)]
    raised = health_drop(120_000, readings, RULES)
    assert raised is not None and raised.concern == Concern.HEALTH_DROP
    assert raised.detail == {"before": 45, "now": 25}
    # Still low, lower even: the same fall (the same fingerprint, so it is not asked again).
    again = health_drop(120_000, [*readings, Reading(day(4), 20)], RULES)
    assert again is not None and again.fingerprint == raised.fingerprint
    # It recovers, then falls again: a new fall, asked again.
    recovered = [*readings, Reading(day(4), 20), Reading(day(10), 50), Reading(day(12), 28)]
    new = health_drop(120_000, recovered, RULES)
    assert (
        new is not None and new.fingerprint != raised.fingerprint and new.detail == {"before": 50, "now": 28}
    )
    assert health_drop(120_000, [*recovered, Reading(day(13), 40)], RULES) is None  # back above


def test_no_fall_no_question() -> None:
    assert health_drop(20_000, [Reading(day(0), 45), Reading(day(3), 25)], RULES) is None  # not enterprise
    assert health_drop(None, [Reading(day(0), 45), Reading(day(3), 25)], RULES) is None
    assert health_drop(120_000, [Reading(day(0), 45), Reading(day(9), 25)], RULES) is None  # over 9 days
    assert health_drop(120_000, [Reading(day(0), 25)], RULES) is None  # low since first known
    assert health_drop(120_000, [Reading(day(0), 45), Reading(day(3), 30)], RULES) is None  # 30 is not below


def test_losing_the_decision_maker_is_raised_once_per_departure() -> None:
    signals = [
        Signal(1, SignalKind.STAKEHOLDER_LEFT, day(1), "champion"),
        Signal(2, SignalKind.STAKEHOLDER_LEFT, day(2), "decision maker"),
    ]
    assert [r.fingerprint for r in decision_maker_lost(signals)] == ["stakeholder:2"]


def test_the_third_qbr_missed_in_a_row_is_raised_once_per_run() -> None:
    missed = [Signal(i, SignalKind.QBR_MISSED, day(90 * i), "") for i in (1, 2)]
    assert qbrs_missed(missed, RULES) is None  # two in a row
    held = Signal(3, SignalKind.QBR_HELD, day(270), "")
    third = Signal(4, SignalKind.QBR_MISSED, day(360), "")
    assert qbrs_missed([*missed, held, third], RULES) is None  # the run was broken
    run = [*missed, Signal(5, SignalKind.QBR_MISSED, day(270), "")]
    raised = qbrs_missed(run, RULES)
    assert raised is not None and raised.detail == {"count": 3}
    fourth = qbrs_missed([*run, Signal(6, SignalKind.QBR_MISSED, day(360), "")], RULES)
    assert fourth is not None and fourth.fingerprint == raised.fingerprint  # the same run: not asked again


def test_the_playbook_sets_the_thresholds() -> None:
    strict = JudgementRules(enterprise_above=100_000, health_below=50, fall_within=timedelta(days=30))
    readings = [Reading(day(0), 60), Reading(day(20), 45)]
    assert [r.concern for r in concerns(150_000, readings, [], strict)] == [Concern.HEALTH_DROP]
    assert concerns(150_000, readings, [], RULES) == []
