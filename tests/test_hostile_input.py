"""Input that used to lose or corrupt a user's work: replays, NUL and half emoji, unchecked owners."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from assistant.database import make_engine, migrate
from assistant.domain.text import clean_text
from tests.harness import CSM, GONE, OWNER, FlowButton, Harness, in_hours, wait_for
from tests.stories import acknowledged


def test_a_replayed_update_is_applied_once(harness: Harness) -> None:
    case = acknowledged(harness)
    made = harness.case(case.id).promises_made
    view = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    values = {"internal": "Vendor engaged", "customer_update": "Fix by 5pm.", "next_update": in_hours(5)}

    # Slack's signature stays valid for five minutes: the same signed submission, four more times.
    for _ in range(5):
        assert harness.submit(OWNER, view, **values).status == 200

    channel = harness.channel_of(case)
    wait_for(lambda: any("Update on ESC-1" in m.text for m in channel.messages), what="the update")
    assert len([m for m in channel.messages if "Update on ESC-1" in m.text]) == 1
    assert [e.kind for e in harness.events(case.id)].count("update_posted") == 1
    assert harness.case(case.id).promises_made == made + 1


def test_a_submission_refused_in_the_modal_can_be_corrected_and_sent_again(harness: Harness) -> None:
    case = acknowledged(harness)
    view = harness.open_flow(OWNER, case, FlowButton.POST_UPDATE)
    refused = harness.submit(OWNER, view, internal="", customer_update="Fix by 5pm.", next_update=in_hours(5))
    assert "internal" in refused.json()["errors"]
    harness.submit(
        OWNER, view, internal="Vendor engaged", customer_update="Fix by 5pm.", next_update=in_hours(5)
    )
    channel = harness.channel_of(case)
    wait_for(lambda: any("Update on ESC-1" in m.text for m in channel.messages), what="the corrected update")


@pytest.mark.parametrize(
    "summary",
    ["Acme\x00 SSO outage", "Acme \ud83d SSO outage", "Acme\x07 SSO outage"],
    ids=["nul", "lone-surrogate", "bell"],
)
def test_nul_and_half_emoji_are_stored_cleanly(harness: Harness, summary: str) -> None:
    view_id = harness.open_intake(CSM)
    response = harness.submit_intake(view_id, CSM, summary=summary, description=f"Details: {summary}")
    assert response.status == 200 and not response.body
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case")
    assert "\x00" not in case.summary and "\x07" not in case.summary
    assert case.summary.startswith("Acme") and case.summary.endswith("SSO outage")
    harness.wait_provisioned(case.id)


def test_a_summary_of_only_invisible_characters_is_refused_next_to_the_field(harness: Harness) -> None:
    view_id = harness.open_intake(CSM)
    response = harness.submit_intake(view_id, CSM, summary="\u200b\u200b \u2060\ufeff")
    assert response.json()["errors"]["summary"] == "Write a one-line summary of the problem."
    assert harness.cases() == []


def test_clean_text_keeps_what_people_wrote() -> None:
    assert clean_text("Olá, São Paulo 👩‍💻 — ok") == "Olá, São Paulo 👩‍💻 — ok"  # ZWJ inside an emoji stays
    assert clean_text("a\r\nb\tc") == "a\nb\tc"
    assert clean_text("\u200b") == ""
    assert clean_text("x\ud800y") == "x?y"


def test_an_owner_who_could_not_be_checked_is_checked_after_the_answer(harness: Harness) -> None:
    """Slack too slow to check the owner in time: the case is saved; the CSM is told to pick another owner."""
    harness.components.people._cache.clear()
    # The owner's check before the answer (the CSM's own lookup, for their language, works).
    harness.workspace.fail("users.info", status=429, retry_after=1, times=1, match={"user": GONE})
    view_id = harness.open_intake(CSM)
    response = harness.submit_intake(view_id, CSM, owner=GONE, stakeholders=[])
    assert response.status == 200 and not response.body
    case = wait_for(lambda: harness.case_by_view(view_id), what="the case")
    told = wait_for(
        lambda: [m for m in harness.workspace.dm_messages(CSM) if "cannot own it" in str(m.blocks)],
        what="the CSM to be told",
    )
    assert len(told) == 1 and "deactivated" in told[0].text and "/escalate reassign" in str(told[0].blocks)
    assert harness.workspace.dm_messages(GONE) == []
    harness.wait_provisioned(case.id)
    notified = next(e for e in harness.events(case.id) if e.kind == "owner_notified")
    assert notified.data["owner_unusable"].startswith("That account is deactivated")


def test_people_are_checked_in_the_same_round_as_the_other_fields(harness: Harness) -> None:
    view_id = harness.open_intake(CSM)
    harness.choose_people(view_id, CSM, owner="U0GONE001")
    response = harness.submit_intake(view_id, CSM, summary="", owner="U0GONE001")
    assert set(response.json()["errors"]) == {"summary", "owner"}


def test_sql_errors_never_carry_customer_text(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    secret = "Acme's confidential renewal figures"
    statement = sa.text("INSERT INTO app_notice (key, detail, since) VALUES (:k, :d, CURRENT_TIMESTAMP)")
    with engine.begin() as connection:
        connection.execute(statement, {"k": "same", "d": secret})
    with pytest.raises(IntegrityError) as failure, engine.begin() as connection:
        connection.execute(statement, {"k": "same", "d": secret})
    logging.getLogger("test").error("database error: %s", failure.value)
    assert secret not in str(failure.value)
    assert secret not in json.dumps([r.getMessage() for r in caplog.records])
    engine.dispose()
