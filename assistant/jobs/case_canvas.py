"""The case channel's canvas (issue 24, part 3): the living case document.

Created when the channel opens (a provisioning step), then edited section by section after each
change, through the paced work queue (canvas calls are Tier 2 and 3): each section is found by
the mark it opens with and replaced alone, so what people add to the canvas themselves stays.
A section missing (someone deleted it, or the canvas was someone's before the app's) is added
at the end. Never a second canvas: after a time-out Slack answers `channel_canvas_already_exists`
and the channel's own canvas is adopted. Where canvases are unavailable (the plan, an admin's
setting) the app carries on without them and says so once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col

from assistant.database import session_scope
from assistant.domain.status import Status
from assistant.jobs.work_queue import Later, WorkQueue
from assistant.models import Escalation
from assistant.presenters.canvas import SECTIONS, CanvasDocument, case_document, section_anchor
from assistant.services import cases as case_service
from assistant.services import notices
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

# What says canvases cannot be had here at all (retrying will not help; a person must act).
UNAVAILABLE = frozenset(
    {
        "canvas_disabled_user_team",
        "team_tier_cannot_create_channel_canvases",
        "free_team_canvas_tab_already_exists",
        "restricted_action",
        "missing_scope",
        "not_allowed_token_type",
    }
)
GONE = frozenset({"canvas_not_found", "canvas_deleted"})
# What passes by itself: the edit is tried again in a while.
PASSING = frozenset({"canvas_editing_locked", "internal_error", "fatal_error", "ratelimited", "http_429"})
# Edits wait behind what people are waiting for (cards, DMs, Home tabs).
CANVAS_PRIORITY = (3,)
RETRY_SECONDS = 30.0
MAX_TRIES = 5


def _markdown(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


class CaseCanvas:
    def __init__(
        self, *, client: WebClient, engine: sa.Engine, queue: WorkQueue,
        tell_unavailable: Callable[[str], None] = lambda error: None,
    ) -> None:  # fmt: skip
        self.client = client
        self.engine = engine
        self.queue = queue
        # Edits that failed in a row, by case (backed off, then left for the next change), and
        # canvases Slack says are gone (made again at the job's next turn).
        self._tries: dict[int, int] = {}
        self._gone: set[str] = set()
        # Records that there will be no canvases, and says so once (to the escalation managers).
        self.tell_unavailable = tell_unavailable

    def document(self, case: Escalation) -> CanvasDocument:
        return case_document(self.engine, case)  # in the channel's language (DEFAULT_LOCALE), as its card

    # -- creating (the provisioning step) ---------------------------------------------

    def create(self, case: Escalation) -> dict[str, Any]:
        """The channel's canvas, made once; the step's event (`canvas` false where unavailable).
        Other errors raise: the step is retried, and a repeat adopts what an earlier try made.
        Each case asks (one call): a workspace whose plan changes gets canvases from then on."""
        if not case.channel_id:
            return {"canvas": False}
        document = self.document(case)
        try:
            answer = self.client.conversations_canvases_create(
                channel_id=case.channel_id,
                title=document.title,
                document_content=_markdown(document.markdown()),
            )
            canvas_id, written = str(answer["canvas_id"]), document.fingerprints()
        except SLACK_ERRORS as exc:
            code = error_code(exc)
            if code in UNAVAILABLE:
                self._unavailable(code)
                return {"canvas": False, "error": code}
            if code != "channel_canvas_already_exists":
                raise
            # Ours from a try that timed out, or a person's: adopted, every section checked.
            info = self.client.conversations_info(channel=case.channel_id)["channel"]
            canvas_id, written = str(info["properties"]["canvas"]["file_id"]), {}
        self._save(case.id or 0, canvas_id, written)
        notices.clear(self.engine, notices.CANVAS_UNAVAILABLE)
        if not written:  # adopted: every section checked, at once
            case.canvas_id = canvas_id
            self.schedule(case)
        return {"canvas": True}

    def _unavailable(self, code: str) -> None:
        logger.warning("canvases are unavailable (%s): case channels go without them", code)
        self.tell_unavailable(code)

    def _save(self, case_id: int, canvas_id: str | None, written: dict[str, str]) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                sa.update(Escalation)
                .where(col(Escalation.id) == case_id)
                .values(canvas_id=canvas_id, canvas_sections=written)
            )

    # -- keeping it current -----------------------------------------------------------

    def schedule(self, case: Escalation) -> None:
        """After a change: the canvas brought up to date in the background (one job per case:
        changes made while it waits are in the one edit)."""
        if case.id is None or not case.canvas_id:
            return
        self._tries.pop(case.id, None)  # a change: the edit is owed afresh
        self.queue.submit(
            f"canvas:{case.id}",
            partial(self.update, case.id),
            priority=CANVAS_PRIORITY,
            method="canvases.edit",
        )

    def update(self, case_id: int) -> Later | None:
        """Edit each section whose content changed since it was written; a failed one is tried
        again (a replace is safe to repeat; a section is looked up before it is added)."""
        case = case_service.get_case(self.engine, case_id)
        if not case.canvas_id:
            return None
        document = self.document(case)
        written = dict(case.canvas_sections or {})
        fresh = document.fingerprints()
        changed = [name for name in SECTIONS if written.get(name) != fresh[name]]
        try:
            if case.canvas_id in self._gone:  # deleted: a new one, whole (the old id kept till then)
                self._recreate(case)
                return None
            for name in changed:
                self._write_section(case.canvas_id, name, document.sections[name])
                written[name] = fresh[name]
        except SLACK_ERRORS as exc:
            code = error_code(exc)
            self._save(case_id, case.canvas_id, written)
            if code in GONE and case.status != Status.CLOSED:
                self._gone.add(case.canvas_id)
                return Later(0.0)
            if code in UNAVAILABLE:
                self._unavailable(code)
                return None
            tries = self._tries[case_id] = self._tries.get(case_id, 0) + 1
            passing = not isinstance(exc, SlackApiError) or code in PASSING or code.startswith("http_5")
            if passing and tries < MAX_TRIES:
                logger.warning("%s: the canvas was not brought up to date (%s); trying again", case.key, code)
                return Later(RETRY_SECONDS * 2 ** (tries - 1))
            # Refused for good (an archived channel's canvas, content Slack will not take): the
            # next change tries again; a job retried forever would only spend Slack's limits.
            logger.warning("%s: the canvas was not brought up to date (%s)", case.key, code)
            return None
        self._tries.pop(case_id, None)
        if changed:
            self._save(case_id, case.canvas_id, written)
        return None

    def bring_up_to_date(self, case_id: int, *, tries: int = 3) -> bool:
        """Now, in this thread (before the channel is archived at closing): a few tries a few
        seconds apart; whether the canvas says all it should."""
        for attempt in range(tries):
            later = self.update(case_id)
            if later is None:
                return True
            if attempt + 1 < tries:
                time.sleep(min(later.seconds, 5.0))
        logger.warning("ESC-%s: the canvas could not be brought up to date before the archive", case_id)
        return False

    def _recreate(self, case: Escalation) -> None:
        """The channel's canvas again, whole, in place of one someone deleted. If Slack refuses the
        create, it raises (the job is tried again); the case keeps the old id until then."""
        gone = case.canvas_id
        case.canvas_id = None
        event = self.create(case)
        if event.get("canvas") or event.get("error"):
            self._gone.discard(str(gone))

    def _write_section(self, canvas_id: str, name: str, markdown: str) -> None:
        found = (
            self.client.canvases_sections_lookup(
                canvas_id=canvas_id, criteria={"contains_text": section_anchor(name)}
            ).get("sections")
            or []
        )
        change: dict[str, Any] = {"document_content": _markdown(markdown)}
        if found:
            change |= {"operation": "replace", "section_id": found[0]["id"]}
        else:
            change |= {"operation": "insert_at_end"}
        self.client.canvases_edit(canvas_id=canvas_id, changes=[change])
