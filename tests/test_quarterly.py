"""The handling review and the quarterly review (issue 23): each closer says what could have been
handled better and where an improvement would prevent escalations like it; `digest --quarter`
gathers a quarter beside the one before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from assistant.domain.quarterly import last_full_quarter, previous_quarter, quarter_named
from tests.harness import (
    OWNER,
    ROOT,
    FlowButton,
    Harness,
    closing_checklist,
    env_without_slack,
    run_cli,
    wait_for,
)
from tests.stories import resolved


def test_quarters_by_name() -> None:
    assert quarter_named("2026Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert quarter_named("2026-q1") == (date(2026, 1, 1), date(2026, 4, 1))
    assert last_full_quarter(date(2027, 1, 15)) == "2026Q4"
    assert last_full_quarter(date(2026, 12, 7)) == "2026Q3"
    assert previous_quarter("2026Q1") == "2025Q4"
    with pytest.raises(ValueError, match="write it like 2026Q4"):
        quarter_named("Q5 2026")


def close_with_review(harness: Harness, case_id: int | None, **review: str) -> None:
    case = harness.case(case_id)
    view = harness.open_flow(OWNER, case, FlowButton.CLOSE)
    answers = {**closing_checklist(harness.workspace.views[view]), **review}
    harness.submit(OWNER, view, no_rca_reason="Settled.", **answers)
    wait_for(lambda: harness.case(case_id).status == "closed", what="the closing")


def test_the_quarterly_review_gathers_the_quarter_and_the_handling_reviews(harness: Harness) -> None:
    public = resolved(harness, category="business", stakeholders=[], triggers=[])
    close_with_review(
        harness, public.id, handled_better="We quoted the old price list & lost two days.",
        improvement_area="process", improvement="Billing checks the price list before a quote.",
    )  # fmt: skip
    private = resolved(
        harness, category="business", stakeholders=[], triggers=["data_breach"], account="Initech"
    )
    close_with_review(
        harness, private.id, handled_better="MARK-PRIVATE-WORDS", improvement_area="training",
        improvement="MARK-PRIVATE-PROPOSAL",
    )  # fmt: skip
    today = datetime.now(UTC).date()
    label = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    printed = run_cli(["digest", "--quarter", label], env_without_slack(harness), ROOT)
    assert printed.returncode == 0, printed.stderr
    out = printed.stdout
    assert f"Quarterly review of escalations: {label}" in out
    assert "2 opened" in out and "Business 2 (0)" in out
    assert "Acme 1" in out and "and 1 restricted case, not named" in out and "Initech" not in out
    assert "Our process (hand-offs, monitoring, communication) (1)" in out
    assert (
        "ESC-1 · Acme: Billing checks the price list before a quote. "
        "(We quoted the old price list & lost two days.)" in out
    )
    # A restricted case's review is counted under its area, by its key alone.
    assert "• ESC-2\n" in out and "MARK-PRIVATE" not in out
    assert run_cli(["digest", "--quarter", "2026Q5"], env_without_slack(harness), ROOT).returncode == 2
