"""What an "escalate at once" trigger changes about a case: the playbook's `effects`.

The seed playbook's defaults: executive contacted tells the escalation managers at once;
termination mentioned suggests the business category and raises severity to at least high;
a public review threatened suggests relationship and notes that Legal should be involved;
a security vulnerability or a data breach makes the channel private and the case critical,
and tells the managers at once. When several triggers suggest a category, the first one
listed in the playbook wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.domain.practice import Category, Practice, Severity


@dataclass(frozen=True)
class TriggerEffects:
    severity: Severity  # the chosen severity, raised to what the triggers require
    raised_from: Severity | None  # the chosen one, if it was raised
    suggested_category: Category | None
    tell_managers: bool
    notes: tuple[str, ...]
    # The shortest acknowledgement window a trigger sets (minutes), if any.
    ack_within_minutes: int | None = None
    # Slack user groups (handles) whose members join the case channel.
    invite_groups: tuple[str, ...] = ()


def more_severe(practice: Practice, a: Severity, b: Severity) -> Severity:
    return min(a, b, key=practice.severity_rank)


def trigger_effects(practice: Practice, triggers: Iterable[str], severity: Severity) -> TriggerEffects:
    """Pure: what the triggers change for a case opened at `severity` (in the playbook's order)."""
    chosen = set(triggers)
    present = [(t, practice.trigger_rule(t)) for t in practice.triggers if t in chosen]
    raised = severity
    for _, effects in present:
        if effects.minimum_severity:
            raised = more_severe(practice, raised, Severity(effects.minimum_severity))
    suggested = next(
        (Category(e.suggests_category) for _, e in present if e.suggests_category is not None), None
    )
    windows = [e.ack_within_minutes for _, e in present if e.ack_within_minutes]
    return TriggerEffects(
        severity=raised,
        raised_from=severity if raised != severity else None,
        suggested_category=suggested,
        tell_managers=any(e.managers_told for _, e in present),
        notes=tuple(e.note for _, e in present if e.note),
        ack_within_minutes=min(windows, default=None),
        invite_groups=tuple(dict.fromkeys(g for _, e in present for g in e.invite_groups)),
    )


def groups_to_invite(practice: Practice, category: Category, effects: TriggerEffects) -> tuple[str, ...]:
    """The Slack user groups (handles) whose members join the case: its category's, then its
    triggers'."""
    return tuple(dict.fromkeys((*practice.playbook(category).invite_groups, *effects.invite_groups)))
