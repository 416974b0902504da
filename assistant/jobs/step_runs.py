"""Workflow Builder step runs (Slack's function executions), recorded: each is done once however
often Slack delivers it, and none is left hanging. A run that never finished (the app stopped
between Slack's event and the work) is failed after STALE_AFTER by the sweep, with a sentence
saying to run it again."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from assistant.content.i18n import _
from assistant.database import session_scope
from assistant.models import WorkflowStepRun, utcnow
from assistant.slack.client import SLACK_ERRORS, error_code

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
EVERY_SECONDS = 60


def claim(engine: sa.Engine, execution_id: str, step: str) -> bool:
    """True for the first delivery of a run; False for a repeat (done, or being done, already)."""
    try:
        with session_scope(engine) as session:
            session.add(WorkflowStepRun(execution_id=execution_id, step=step))
    except sa.exc.IntegrityError:
        return False
    return True


def finish(
    engine: sa.Engine, execution_id: str, *, outputs: dict[str, Any] | None, error: str | None
) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(WorkflowStepRun)
            .where(
                col(WorkflowStepRun.execution_id) == execution_id, col(WorkflowStepRun.finished_at).is_(None)
            )
            .values(
                finished_at=utcnow(),
                outcome="failed" if error is not None else "completed",
                outputs=outputs or {},
                error=error,
            )
        )


def fail_stale_runs(engine: sa.Engine, client: WebClient) -> int:
    """Runs claimed but never finished: failed with a sentence (Slack shows it in the workflow's
    activity), so the workflow does not wait for ever. How many."""
    with Session(engine) as session:
        stale = list(
            session.exec(
                select(WorkflowStepRun.execution_id).where(
                    col(WorkflowStepRun.finished_at).is_(None),
                    col(WorkflowStepRun.started_at) < utcnow() - STALE_AFTER,
                )
            )
        )
    error = _("workflow_steps.interrupted")
    for execution_id in stale:
        try:
            client.functions_completeError(function_execution_id=execution_id, error=error)
        except SLACK_ERRORS as exc:  # Slack ended it already (its own time-out): nothing owed
            logger.info("step run %s: not failed (%s)", execution_id, error_code(exc))
        finish(engine, execution_id, outputs=None, error=error)
    return len(stale)
