"""The action plan (stages 2-3 of the practice): steps with an owner and a due time, drafted after
the acknowledgement and adjusted as the case goes. What a submitted plan changes, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from assistant.domain.sentences import N_

# A step may be due this far ahead at most (a plan is about this case, not next year).
FURTHEST = timedelta(days=180)


@dataclass(frozen=True)
class Step:
    description: str
    owner_id: str
    due_at: datetime


@dataclass(frozen=True)
class StepEdit:
    """What the form says of a step already on the plan: it as the form showed it (`before`), as it
    left it (None: taken off the plan), and whether it was ticked done. Only what the person
    changed in the form is applied: a change someone else saved meanwhile stands."""

    step_id: int
    before: Step
    after: Step | None
    done: bool = False

    @property
    def changes(self) -> dict[str, dict[str, str]]:
        """What changed, from and to (times as ISO text, as the timeline keeps them)."""
        if self.after is None:
            return {}
        found = {}
        if self.before.description != self.after.description:
            found["text"] = {"from": self.before.description, "to": self.after.description}
        if self.before.owner_id != self.after.owner_id:
            found["owner"] = {"from": self.before.owner_id, "to": self.after.owner_id}
        if self.before.due_at != self.after.due_at:
            found["due"] = {"from": self.before.due_at.isoformat(), "to": self.after.due_at.isoformat()}
        return found

    @property
    def matters(self) -> bool:
        return self.after is None or self.done or bool(self.changes)


@dataclass(frozen=True)
class PlanChange:
    added: tuple[Step, ...] = ()
    edits: tuple[StepEdit, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.added and not any(e.matters for e in self.edits)


def step_problems(
    description: str, owner_id: str | None, due_at: datetime | None, now: datetime, *, kept_due: bool = False
) -> dict[str, str]:
    """What is wrong with a step (`description` given), by its part ("owner", "due"), as sentence
    ids. `kept_due`: the step's due time is the one it had (it may have passed: it is overdue)."""
    problems = {}
    if not owner_id:
        problems["owner"] = N_("plan.every_step_needs_owner")
    if due_at is None:
        problems["due"] = N_("plan.every_step_needs_due_time")
    elif not kept_due and due_at < now:
        problems["due"] = N_("plan.choose_due_time_from_now")
    elif due_at > now + FURTHEST:
        problems["due"] = N_("plan.due_within_six_months")
    return problems
