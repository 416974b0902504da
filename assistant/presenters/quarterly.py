"""The quarterly review as its template reads it, in the current language; user text escaped once."""

from __future__ import annotations

from typing import Any

from assistant.content.i18n import _
from assistant.domain.metrics import on_time_rate
from assistant.domain.practice import Practice
from assistant.domain.quarterly import QuarterlyReview
from assistant.rendering.escape import escape_mrkdwn

# The areas of the handling review (the close form's options), in their order.
AREA_ORDER = ("product", "training", "process", "none")


def quarterly_context(
    review: QuarterlyReview, practice: Practice, area_labels: dict[str, str]
) -> dict[str, Any]:
    this, before = review.this, review.previous

    def rate(kept: int, made: int) -> str:
        found = on_time_rate(kept, made)
        return f"{found:.0%}" if found is not None else "—"

    def average(value: float | None) -> str:
        return f"{value:.1f}" if value is not None else "—"

    proposals = review.proposals_by_area()
    return {
        "label": review.label,
        "previous_label": review.previous_label,
        "opened": len(this.opened),
        "opened_before": len(before.opened),
        "categories": [
            {"label": _(practice.category_label(category)), "now": now, "before": was}
            for category, (now, was) in sorted(review.by_category().items(), key=lambda item: -item[1][0])
        ],
        "accounts": [f"{escape_mrkdwn(name, 80)} {n}" for name, n in review.top_accounts()],
        "restricted": review.restricted(),
        "causes": [f"{_(practice.cause_areas.get(area, area))} {n}" for area, n in review.causes()],
        "kept": rate(this.promises_kept, this.promises_made),
        "kept_before": rate(before.promises_kept, before.promises_made),
        "made": this.promises_made,
        "satisfaction": average(this.satisfaction.average),
        "satisfaction_before": average(before.satisfaction.average),
        "answers": this.satisfaction.answers,
        "voices": this.voices.count,
        "voice_accounts": ", ".join(f"{escape_mrkdwn(name, 80)} {n}" for name, n in this.voices.by_account),
        "proposals": [
            {
                "area": area_labels.get(area, area),
                "items": [
                    p.key
                    + (f" · {escape_mrkdwn(p.account, 80)}" if p.account else "")
                    + (f": {escape_mrkdwn(p.improvement, 300)}" if p.improvement else "")
                    + (f" ({escape_mrkdwn(p.handled_better, 200)})" if p.handled_better else "")
                    for p in proposals[area]
                ],
            }
            for area in sorted(proposals, key=lambda a: AREA_ORDER.index(a) if a in AREA_ORDER else 99)
        ],
    }
