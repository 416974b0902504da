"""The escalation practice we encode (see DOMAIN.md): categories, triggers, severities.

Everything the product says about the practice is written once here, so the
modal, the case card and the feed announcement all use the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    TECHNICAL = "technical"
    BUSINESS = "business"
    RELATIONSHIP = "relationship"
    PROCESS = "process"


@dataclass(frozen=True)
class CategoryPlaybook:
    label: str
    # Shown under the option in the modal: Slack allows 75 characters there.
    when: str
    resolution_owner: str
    expected_response: str


PLAYBOOKS: dict[Category, CategoryPlaybook] = {
    Category.TECHNICAL: CategoryPlaybook(
        label="Technical",
        when="Complex bug or data-integrity problem tier-2 support cannot solve",
        resolution_owner="Engineering",
        expected_response="Formal bug report with an SLA; regular status updates to the account's CSM",
    ),
    Category.BUSINESS: CategoryPlaybook(
        label="Business",
        when="Churn threat, severe dissatisfaction, customer asks for an executive",
        resolution_owner="VP of CS or VP of the account",
        expected_response="Executive contact within 24 hours; account rescue plan",
    ),
    Category.RELATIONSHIP: CategoryPlaybook(
        label="Relationship",
        when="Champion leaves, restructuring, key stakeholder unhappy in public",
        resolution_owner="CS leadership, plus Legal when public",
        expected_response="Proactive outreach before it grows; relationship rebuild plan",
    ),
    Category.PROCESS: CategoryPlaybook(
        label="Process",
        when="The same problem hits several accounts repeatedly",
        resolution_owner="Product Ops or Support Ops",
        expected_response=("Root-cause analysis, process redesign, communication to every affected account"),
    ),
}


class EscalationKind(StrEnum):
    """Orthogonal to category: how the case was lifted."""

    FUNCTIONAL = "functional"
    HIERARCHICAL = "hierarchical"
    AUTOMATIC = "automatic"


KIND_LABELS: dict[EscalationKind, tuple[str, str]] = {
    EscalationKind.FUNCTIONAL: ("Functional", "Handed to a team with the needed expertise"),
    EscalationKind.HIERARCHICAL: ("Hierarchical", "Lifted to someone with more authority"),
    EscalationKind.AUTOMATIC: ("Automatic", "Triggered by a broken service-level promise"),
}


class Trigger(StrEnum):
    """The 'escalate immediately, no judgement needed' thresholds."""

    EXECUTIVE_CONTACTED = "executive_contacted"
    PUBLIC_REVIEW_THREAT = "public_review_threat"
    TERMINATION_MENTIONED = "termination_mentioned"
    SECURITY_VULNERABILITY = "security_vulnerability"
    DATA_BREACH = "data_breach"


TRIGGER_LABELS: dict[Trigger, str] = {
    Trigger.EXECUTIVE_CONTACTED: "Customer contacted one of our executives",
    Trigger.PUBLIC_REVIEW_THREAT: "Threat of a public negative review",
    Trigger.TERMINATION_MENTIONED: "Termination mentioned by name",
    Trigger.SECURITY_VULNERABILITY: "Security vulnerability report",
    Trigger.DATA_BREACH: "Data-breach event",
}

# Cases with these triggers get a private channel: DOMAIN.md says their channel
# must not be public to the whole workspace.
SENSITIVE_TRIGGERS: frozenset[Trigger] = frozenset({Trigger.SECURITY_VULNERABILITY, Trigger.DATA_BREACH})


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY_LABELS: dict[Severity, tuple[str, str]] = {
    Severity.CRITICAL: ("Critical", "Customer cannot work, data at risk, or the account is at stake"),
    Severity.HIGH: ("High", "Major impact on the customer's business; no workaround"),
    Severity.MEDIUM: ("Medium", "Real impact with a workaround, or a relationship at risk"),
    Severity.LOW: ("Low", "Limited impact; needs senior attention but not urgency"),
}

# Guidance shown in the intake modal against over- and under-escalation.
ESCALATE_AT_ONCE = (
    "Escalate at once: the customer contacted an executive, a public negative "
    "review is threatened, termination is mentioned, a security vulnerability "
    "or a data breach."
)
DO_NOT_ESCALATE = (
    "No escalation needed: a standard support ticket (normal priority queue) or "
    "one user's frustration with one feature (log it as voice of the customer)."
)


def is_sensitive(triggers: Iterable[Trigger]) -> bool:
    return any(t in SENSITIVE_TRIGGERS for t in triggers)


# Where a root cause lay: the RCA names one, so the same cause across accounts shows up
# in the weekly digest (the signal of a process escalation, DOMAIN.md).
CAUSE_AREAS: dict[str, str] = {
    "product_defect": "Product defect",
    "configuration": "Configuration or setup",
    "capacity": "Capacity or performance",
    "third_party": "Third-party or vendor",
    "process": "Internal process or handoff",
    "communication": "Communication or expectations",
    "documentation": "Documentation or training",
    "other": "Other",
}

# Shown wherever someone is about to escalate (intake modal, help, Home tab).
GUIDANCE = {"at_once": ESCALATE_AT_ONCE, "do_not": DO_NOT_ESCALATE}
