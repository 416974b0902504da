"""What an "escalate at once" trigger changes about a case (the seed playbook's defaults).

- executive contacted: the escalation managers are told at once;
- public review threatened: relationship category suggested; Legal should be involved;
- termination mentioned: business category suggested, severity at least high;
- security vulnerability, data breach: private channel (see practice.is_sensitive),
  severity critical, the escalation managers told at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.domain.practice import Category, Severity, Trigger

# Most severe first.
SEVERITY_ORDER: tuple[Severity, ...] = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)

_MINIMUM_SEVERITY: dict[Trigger, Severity] = {
    Trigger.TERMINATION_MENTIONED: Severity.HIGH,
    Trigger.SECURITY_VULNERABILITY: Severity.CRITICAL,
    Trigger.DATA_BREACH: Severity.CRITICAL,
}
_TELLS_MANAGERS: frozenset[Trigger] = frozenset(
    {Trigger.EXECUTIVE_CONTACTED, Trigger.SECURITY_VULNERABILITY, Trigger.DATA_BREACH}
)
# In order of precedence: a termination threat is a business matter first.
_SUGGESTED_CATEGORY: tuple[tuple[Trigger, Category], ...] = (
    (Trigger.TERMINATION_MENTIONED, Category.BUSINESS),
    (Trigger.PUBLIC_REVIEW_THREAT, Category.RELATIONSHIP),
)
_NOTES: dict[Trigger, str] = {
    Trigger.EXECUTIVE_CONTACTED: "An executive was contacted: the escalation managers were told at once.",
    Trigger.PUBLIC_REVIEW_THREAT: "A public review is threatened: involve Legal before anything is said.",
    Trigger.TERMINATION_MENTIONED: "Termination was mentioned: a business matter, severity at least high.",
    Trigger.SECURITY_VULNERABILITY: "Security vulnerability: private channel, critical, managers told.",
    Trigger.DATA_BREACH: "Data breach: private channel, critical, managers told at once.",
}


@dataclass(frozen=True)
class TriggerEffects:
    severity: Severity  # the chosen severity, raised to what the triggers require
    raised_from: Severity | None  # the chosen one, if it was raised
    suggested_category: Category | None
    tell_managers: bool
    notes: tuple[str, ...]


def more_severe(a: Severity, b: Severity) -> Severity:
    return min(a, b, key=SEVERITY_ORDER.index)


def trigger_effects(triggers: Iterable[Trigger], severity: Severity) -> TriggerEffects:
    """Pure: what the triggers change for a case opened at `severity`."""
    chosen = set(triggers)
    present = [t for t in Trigger if t in chosen]  # in the playbook's order, once each
    raised = severity
    for trigger in present:
        if trigger in _MINIMUM_SEVERITY:
            raised = more_severe(raised, _MINIMUM_SEVERITY[trigger])
    suggested = next((category for t, category in _SUGGESTED_CATEGORY if t in present), None)
    return TriggerEffects(
        severity=raised,
        raised_from=severity if raised != severity else None,
        suggested_category=suggested,
        tell_managers=any(t in _TELLS_MANAGERS for t in present),
        notes=tuple(_NOTES[t] for t in present),
    )
