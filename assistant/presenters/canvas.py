"""The case channel's canvas as the app writes it: a title and six sections (summary, status and
next promise, contacts and affected accounts, action plan, timeline highlights, RCA), each one
paragraph that opens with its mark, so each can be found and replaced alone (slack/case_canvas)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assistant.content.i18n import _
from assistant.domain.events import EventKind
from assistant.domain.text import UserText
from assistant.models import ActionItem, CaseEvent, Escalation, RootCauseAnalysis
from assistant.presenters.case_context import case_context
from assistant.presenters.timeline import EVENT_SENTENCES
from assistant.rendering.escape import CANVAS_SECTION_MARK
from assistant.rendering.render import render_macros
from assistant.services.accounts import affected_names
from assistant.services.customer import contacts_of

TEMPLATE = "case_canvas.md.j2"
SECTIONS = ("summary", "status", "people", "plan", "timeline", "rca")
# What the timeline's highlights are: what changed the case or was said in its channel.
HIGHLIGHTS = frozenset(
    {
        EventKind.OPENED,
        EventKind.ACKNOWLEDGED,
        EventKind.CLASSIFIED,
        EventKind.UPDATE_POSTED,
        EventKind.REASSIGNED,
        EventKind.TASK_FORCE_CALLED,
        EventKind.BREACH,
        EventKind.MESSAGE_MARKED,
        EventKind.RESOLVED,
        EventKind.RCA_RECORDED,
        EventKind.CLOSED,
        EventKind.REOPENED,
    }
)
HIGHLIGHTS_SHOWN = 15
# A paragraph line break in canvas markdown (two spaces at the line's end).
LINE_BREAK = "  \n"


@dataclass(frozen=True)
class CanvasDocument:
    title: str
    sections: dict[str, str]  # in SECTIONS order

    def markdown(self) -> str:
        """The whole document, as the canvas is created."""
        return "\n\n".join(self.sections[name] for name in SECTIONS)

    def fingerprints(self) -> dict[str, str]:
        """What each section was when written: a section is edited only when its own changed."""
        return {name: hashlib.sha256(text.encode()).hexdigest()[:16] for name, text in self.sections.items()}


def section_anchor(name: str) -> str:
    """The text a section opens with, by which it is looked up (canvases.sections.lookup)."""
    return f"{CANVAS_SECTION_MARK}{SECTIONS.index(name) + 1} ·"


def _facts(engine: sa.Engine, case: Escalation) -> dict[str, Any]:
    case_id = case.id or 0
    with Session(engine) as session:
        contacts = contacts_of(session, case_id)
        steps = session.exec(
            select(ActionItem)
            .where(ActionItem.escalation_id == case_id, col(ActionItem.rca_id).is_(None))
            .order_by(col(ActionItem.due_at), col(ActionItem.id))
        ).all()
        events = session.exec(
            select(CaseEvent)
            .where(CaseEvent.escalation_id == case_id, col(CaseEvent.kind).in_([k.value for k in HIGHLIGHTS]))
            .order_by(col(CaseEvent.id).desc())
            .limit(HIGHLIGHTS_SHOWN)
        ).all()
        analysis = session.exec(
            select(RootCauseAnalysis)
            .where(RootCauseAnalysis.escalation_id == case_id)
            .order_by(col(RootCauseAnalysis.id).desc())
        ).first()
    return {
        "contacts": [{"name": UserText(c.name or c.email), "role": UserText(c.role)} for c in contacts],
        "accounts": [UserText(n) for n in affected_names(engine, [case_id]).get(case_id, [])],
        "steps": [
            {
                "description": UserText(s.description),
                "owner_id": s.owner_id,
                "due_at": s.due_at,
                "done": bool(s.done_at),
            }
            for s in steps
        ],
        "events": [
            {
                "at": e.at,
                "actor_id": e.actor_id,
                "sentence": _(EVENT_SENTENCES[EventKind(e.kind)]),
                "said": UserText(
                    str((e.data or {}).get("text") or "") if e.kind == EventKind.MESSAGE_MARKED else ""
                ),
            }
            for e in reversed(events)
        ],
        "rca": None
        if analysis is None
        else {
            "what_happened": UserText(analysis.what_happened),
            "root_cause": UserText(analysis.root_cause),
            "contributing_factors": UserText(analysis.contributing_factors),
            "customer_text": UserText(analysis.customer_text),
        },
    }


def case_document(engine: sa.Engine, case: Escalation) -> CanvasDocument:
    """The canvas of a case as it is now, in the language in effect (the channel's)."""
    context = case_context(case)
    facts = _facts(engine, case)
    rendered = render_macros(
        TEMPLATE,
        {
            "title": (context,),
            "summary": (context,),
            "status": (context,),
            "people": (context, facts["contacts"], facts["accounts"]),
            "plan": (facts["steps"],),
            "timeline": (facts["events"],),
            "rca": (facts["rca"],),
        },
        mark=CANVAS_SECTION_MARK,
    )
    sections = {name: rendered[name].replace("\n", LINE_BREAK) for name in SECTIONS}
    return CanvasDocument(title=rendered["title"], sections=sections)
