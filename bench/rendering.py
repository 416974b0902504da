"""What the team's content and language cost. Prints numbers; asserts nothing.

    python bench/rendering.py [--rounds 1000]

1. Start-up: reading and checking the playbook, the intake questions and the eight flow
   definitions, and compiling the
   Portuguese and Spanish catalogs (once per process). Target: under 200 ms.
2. Rendering the intake modal, the case card, the owner's DM and the Home tab's portfolio
   filters in Portuguese and in Spanish, as a ratio of the same rendering in English in the
   same run (English goes through the same templates with no catalog: the English-only path).
   Target: at most 1.10x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.content import i18n  # noqa: E402
from assistant.content.registry import install, installed, load_content  # noqa: E402
from assistant.listeners.intake import _render_intake_modal  # noqa: E402
from assistant.models import Escalation  # noqa: E402
from assistant.presenters.case_context import case_context, format_duration  # noqa: E402
from assistant.rendering.render import render_message  # noqa: E402

LOCALES = ("en", "pt_BR", "es")


def timed_by_locale(work: Callable[[], object], rounds: int) -> dict[str, float]:
    """Median seconds of one call of `work` in each locale, the locales interleaved round by
    round so that a busy moment of the machine weighs on all of them alike."""
    samples: dict[str, list[float]] = {locale: [] for locale in LOCALES}
    for _ in range(rounds):
        for locale in LOCALES:
            with i18n.speaking(locale):
                started = time.perf_counter()
                work()
                samples[locale].append(time.perf_counter() - started)
    return {locale: statistics.median(values) for locale, values in samples.items()}


def start_up() -> float:
    started = time.perf_counter()
    install(load_content(None))  # our content, read and checked whole (its catalogs compiled anew)
    for locale in LOCALES:
        i18n.translations(locale)
    return time.perf_counter() - started


def sample_case() -> Escalation:
    now = datetime.now(UTC)
    return Escalation(
        id=42,
        team_id="T1",
        account_name="Acme <Brasil> & Cia",
        account_value=120_000,
        account_currency="BRL",
        summary="Falha no SSO bloqueia todos os logins",
        description="Ninguém na Acme consegue entrar desde as 09:00.\n" * 20,
        category="technical",
        severity="high",
        triggers=["executive_contacted", "public_review_threat"],
        owner_id="U0OWNER01",
        reporter_id="U0CSM0001",
        stakeholder_ids=["U0EXEC001"],
        links=[["ticket", "https://support.example.com/tickets/4521"]],
        channel_id="C0CASE001",
        created_at=now,
        updated_at=now,
        ack_due_at=now + timedelta(hours=2),
    )


def renders(case: Escalation) -> dict[str, Callable[[], object]]:
    return {
        "intake modal": lambda: _render_intake_modal(installed(), "{}", 120, "", "", None),
        "case card": lambda: render_message("case_card.json.j2", case=case_context(case), team_id="T1"),
        "owner DM": lambda: render_message(
            "owner_request.json.j2", case=case_context(case), ack_within=format_duration(120)
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()

    loads = [start_up() for _ in range(5)]
    print(f"content and catalogs loaded: median {statistics.median(loads) * 1000:.0f} ms (target < 200 ms)")

    case = sample_case()
    print(
        f"{'render':<14}"
        + "".join(f"{locale:>12}" for locale in LOCALES)
        + "   worst ratio (target <= 1.10x)"
    )
    for name, work in renders(case).items():
        for locale in LOCALES:
            with i18n.speaking(locale):
                work()  # warm: templates compiled, catalog loaded
        medians = timed_by_locale(work, args.rounds)
        worst = max(medians[locale] / medians["en"] for locale in LOCALES[1:])
        cells = "".join(f"{medians[locale] * 1000:>10.2f}ms" for locale in LOCALES)
        print(f"{name:<14}{cells}   {worst:.2f}x")


if __name__ == "__main__":
    main()
