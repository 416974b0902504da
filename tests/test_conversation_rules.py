"""Understanding, as pure rules (no app): intents and entities of a few sentences of each kind, in
the three languages, typos and all. The held-out corpora are scored by bench/understanding.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.content.conversation import phrasebooks
from assistant.domain.conversation import Intent, moment_said, understand

ACCOUNTS = ["Acme", "Globex", "Stark Industries", "Wayne Enterprises"]


@pytest.mark.parametrize(
    ("locale", "text", "intent", "entities"),
    [
        ("en", "who's on the hook for #77", Intent.OWNER_OF, {"case": 77}),
        ("en", "ack esc-450, next update at 16:30", Intent.ACKNOWLEDGE, {"case": 450, "time": "16:30"}),
        (
            "en",
            "next update on esc 94 at half past two in the afternoon",
            Intent.NEXT_UPDATE,
            {"time": "14:30"},
        ),
        (
            "en",
            "let Initech know the next update is coming at half five",
            Intent.NEXT_UPDATE,
            {"time": "17:30"},
        ),
        ("en", "remind me in 45m about esc 9", Intent.REMIND_ME, {"minutes": 45, "case": 9}),
        ("en", "commit to an update for Globex within the hour", Intent.NEXT_UPDATE, {"minutes": 60}),
        ("en", "which commitments did we blow for globez", Intent.BREACHED, {"account": "Globex"}),
        ("en", "delete esc 1001", Intent.UNKNOWN, {}),
        ("en", "remind me in 99999999999 hours", Intent.REMIND_ME, {"minutes": 366 * 24 * 60}),
        ("pt_BR", "próximo update do esc-250 em 1h30", Intent.NEXT_UPDATE, {"case": 250, "minutes": 90}),
        (
            "pt_BR",
            "às quinze pras seis da tarde, próximo update do caso 5",
            Intent.NEXT_UPDATE,
            {"time": "17:45"},
        ),
        (
            "pt_BR",
            "quando a stark recebeu nosso ultimo update",
            Intent.LAST_HEARD,
            {"account": "Stark Industries"},
        ),
        ("pt_BR", "tem coisa vencendo essa semna?", Intent.DUE, {"period": "week"}),
        (
            "es",
            "entrégale la escalada 11 a <@U0RAVI001>",
            Intent.REASSIGN,
            {"case": 11, "person": "U0RAVI001"},
        ),
        ("es", "siguiente update del esc-230 en hora y media", Intent.NEXT_UPDATE, {"minutes": 90}),
        ("es", "mis tickets abiertos porfis", Intent.MY_CASES, {}),
        ("es", "acusar recibo caso 3845, novedad a las 18hs", Intent.ACKNOWLEDGE, {"time": "18:00"}),
    ],
)
def test_what_is_said_is_understood(
    locale: str, text: str, intent: Intent, entities: dict[str, object]
) -> None:
    heard = understand(text, phrasebooks(None, locale), ACCOUNTS)
    assert heard.intent == intent
    assert {name: getattr(heard, name) for name in entities} == entities


def test_a_time_said_is_the_next_such_time_in_the_speakers_zone() -> None:
    from zoneinfo import ZoneInfo

    now = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 15:00 in São Paulo
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    assert moment_said("17:00", None, sao_paulo, now) == datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    assert moment_said("09:00", None, sao_paulo, now) == datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    assert moment_said(None, 30, sao_paulo, now) == datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
    assert moment_said(None, None, sao_paulo, now) is None
