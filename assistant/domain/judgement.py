"""The 24-hour judgement tier (DOMAIN.md): signals that call for the CSM's judgement, not an escalation.

An enterprise account whose health falls below a threshold within a week, a decision maker
lost, a third QBR missed in a row: each is raised to the account's CSM once (a fingerprint
names the episode), never escalated automatically. Plain functions over readings and
signals; the thresholds are the playbook's (`judgement:`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from assistant.domain.sentences import N_


class SignalKind(StrEnum):
    """What an account's systems tell us besides its health."""

    QBR_HELD = "qbr_held"
    QBR_MISSED = "qbr_missed"
    STAKEHOLDER_LEFT = "stakeholder_left"  # detail: the role ("decision_maker", "champion")


class Concern(StrEnum):
    HEALTH_DROP = "health_drop"
    DECISION_MAKER_LOST = "decision_maker_lost"
    QBRS_MISSED = "qbrs_missed"


# What happened and why it matters, said to the CSM (with the values of Raised.detail).
CONCERN_WORDS: dict[Concern, tuple[str, str]] = {
    Concern.HEALTH_DROP: (
        N_("judgement.account_health_fell_from_before_now"),
        N_("judgement.enterprise_account_value_whose"),
    ),
    Concern.DECISION_MAKER_LOST: (
        N_("judgement.account_lost_its_decision_maker_who"),
        N_("judgement.losing_decision_maker_puts_renewal"),
    ),
    Concern.QBRS_MISSED: (
        N_("judgement.account_missed_count_qbrs_row"),
        N_("judgement.customer_who_stops_meeting_us"),
    ),
}


@dataclass(frozen=True)
class JudgementRules:
    enterprise_above: int = 25000  # contract value, in the account's currency
    health_below: int = 30
    fall_within: timedelta = timedelta(days=7)
    missed_qbrs: int = 3
    # The category the intake is prefilled with, by concern (the playbook's ids).
    suggests: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    at: datetime
    score: int


@dataclass(frozen=True)
class Signal:
    id: int
    kind: SignalKind
    at: datetime
    detail: str = ""


@dataclass(frozen=True)
class Raised:
    concern: Concern
    # The episode: the same one is raised once; a new one (a new drop) again.
    fingerprint: str
    detail: dict[str, str | int]


def health_drop(
    contract_value: int | None, readings: Sequence[Reading], rules: JudgementRules
) -> Raised | None:
    """The health now below the threshold, having been at or above it less than a week before the fall."""
    if contract_value is None or contract_value <= rules.enterprise_above or not readings:
        return None
    ordered = sorted(readings, key=lambda r: r.at)
    if ordered[-1].score >= rules.health_below:
        return None
    # The fall: the first reading of the run below the threshold that goes on until now.
    fall = len(ordered) - 1
    while fall > 0 and ordered[fall - 1].score < rules.health_below:
        fall -= 1
    if fall == 0:
        return None  # below since we first knew it: no fall to judge
    before = ordered[fall - 1]
    if ordered[fall].at - before.at > rules.fall_within:
        return None
    return Raised(
        Concern.HEALTH_DROP,
        f"health:{ordered[fall].at.isoformat()}",
        {"before": before.score, "now": ordered[-1].score},
    )


def decision_maker_lost(signals: Sequence[Signal]) -> list[Raised]:
    return [
        Raised(Concern.DECISION_MAKER_LOST, f"stakeholder:{s.id}", {"who": s.detail or "decision_maker"})
        for s in signals
        if s.kind == SignalKind.STAKEHOLDER_LEFT
        and (s.detail or "").lower().replace(" ", "_") == "decision_maker"
    ]


def qbrs_missed(signals: Sequence[Signal], rules: JudgementRules) -> Raised | None:
    """The latest QBRs all missed, at least `missed_qbrs` of them (raised once per run of misses)."""
    qbrs = sorted(
        (s for s in signals if s.kind in {SignalKind.QBR_HELD, SignalKind.QBR_MISSED}), key=lambda s: s.at
    )
    run: list[Signal] = []
    for qbr in qbrs:
        run = [*run, qbr] if qbr.kind == SignalKind.QBR_MISSED else []
    if len(run) < rules.missed_qbrs:
        return None
    return Raised(Concern.QBRS_MISSED, f"qbr:{run[0].id}", {"count": len(run)})


def concerns(
    contract_value: int | None, readings: Sequence[Reading], signals: Sequence[Signal], rules: JudgementRules
) -> list[Raised]:
    """Everything about this account that calls for the CSM's judgement now."""
    found = [
        health_drop(contract_value, readings, rules),
        *decision_maker_lost(signals),
        qbrs_missed(signals, rules),
    ]
    return [r for r in found if r is not None]
