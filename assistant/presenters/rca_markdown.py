"""The RCA as two Markdown documents for the case channel: the internal one, and the one the
customer may be sent, which carries only what they are told (no causes, owners or categories)."""

from __future__ import annotations

from assistant.models import ActionItem, Escalation, RootCauseAnalysis


def rca_markdown(
    case: Escalation, rca: RootCauseAnalysis, items: list[ActionItem], names: dict[str, str]
) -> str:
    rows = "\n".join(
        f"| {item.kind} | {item.description.replace('|', '/')} | {names.get(item.owner_id, item.owner_id)} "
        f"| {item.due_on.isoformat()} |"
        for item in items
    )
    return (
        f"# Root-cause analysis: {case.key} · {case.account_name}\n\n"
        f"**Summary:** {case.summary}  \n"
        f"**Category:** {case.category.value} · **Severity:** {case.severity.value}  \n"
        f"**Opened:** {case.created_at:%Y-%m-%d %H:%M} UTC"
        + (f" · **Resolved:** {case.resolved_at:%Y-%m-%d %H:%M} UTC" if case.resolved_at else "")
        + "\n\n## What happened\n\n"
        + rca.what_happened
        + "\n\n## Root cause\n\n"
        + rca.root_cause
        + ("\n\n## Contributing factors\n\n" + rca.contributing_factors if rca.contributing_factors else "")
        + "\n\n## Action items\n\n| kind | action | owner | due |\n|---|---|---|---|\n"
        + rows
        + "\n"
    )


def customer_rca_markdown(case: Escalation, rca: RootCauseAnalysis) -> str:
    """Only the customer-facing text, under the account's name, the case reference and its dates."""
    resolved = f" · resolved {case.resolved_at:%Y-%m-%d}" if case.resolved_at else ""
    return (
        f"# Incident report for {case.account_name}\n\n"
        f"Reference {case.key} · reported {case.created_at:%Y-%m-%d}{resolved}\n\n" + rca.customer_text + "\n"
    )
