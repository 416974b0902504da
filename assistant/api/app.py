"""The API (FastAPI, served by the same waitress as Slack's requests, through a2wsgi).

Every route takes a bearer token with a scope; errors are JSON, a 422 says one message per
field. A POST with an `Idempotency-Key` is done once: the same key again answers with the
same case. Opening an escalation runs the modal's own rules and the same provisioning.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from assistant.api import tokens
from assistant.components import Components
from assistant.domain.account_rows import read_record
from assistant.domain.accounts import account_key
from assistant.domain.events import EventKind
from assistant.domain.intake import (
    MAX_AFFECTED_ACCOUNTS,
    IntakeField,
    IntakeForm,
    LinkKind,
    validate_intake,
)
from assistant.domain.judgement import SignalKind
from assistant.domain.practice import Category, Severity, Trigger
from assistant.domain.status import Status
from assistant.domain.triggers import trigger_effects
from assistant.flows.intake import people_errors
from assistant.i18n import speaking
from assistant.messages.case_context import case_context
from assistant.messages.escape import UserText
from assistant.messages.render import render_message
from assistant.models import KEY_PREFIX, ApiToken, Escalation
from assistant.services import accounts, cases, judgement
from assistant.services.cases import CaseNotFound, get_case, open_case
from assistant.services.events import add_event
from assistant.slack.client import SLACK_ERRORS, error_code

PREFIX = "/api/v1"
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")


class RateLimiter:
    """A token bucket per API token: `per_minute` calls, refilled evenly (in memory, per instance)."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: int) -> float:
        """0 if the call may go now, else how many seconds until it may."""
        now = time.monotonic()
        with self._lock:
            level, then = self._buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - then) * self.rate)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1 - level) / self.rate


class Invalid(Exception):
    """One message per field, answered as a 422."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class EscalationIn(BaseModel):
    account: str = Field(description="the account's name, or its id in another system: crm:0015A")
    account_value: str | None = Field(default=None, description="as typed on the form: 120000, $120k")
    summary: str
    description: str
    category: str = Field(description="a category id of the playbook")
    severity: str | None = Field(
        default=None, description="a severity id (the category's usual one if left out)"
    )
    triggers: list[str] = Field(default_factory=list, description="trigger ids that apply")
    owner: str = Field(description="a Slack user id, or the person's e-mail")
    stakeholders: list[str] = Field(default_factory=list, description="Slack user ids or e-mails")
    reporter: str = Field(description="who reports it: a Slack user id or e-mail")
    links: dict[str, str] = Field(
        default_factory=dict, description="ticket, crm, problem_record, source: URLs"
    )
    affected_accounts: list[str] = Field(
        default_factory=list,
        description="other accounts the same problem hits, from the directory: names or crm:0015B",
    )


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=3000)
    source: str | None = Field(
        default=None, max_length=40, description="who says it (the token's name by default)"
    )


class AffectedIn(BaseModel):
    accounts: list[str] = Field(
        min_length=1,
        max_length=MAX_AFFECTED_ACCOUNTS,
        description="other accounts the case's problem hits, from the directory: names or crm:0015B",
    )
    source: str | None = Field(
        default=None, max_length=40, description="who says so (the token's name by default)"
    )


class SignalIn(BaseModel):
    kind: SignalKind
    detail: str = Field(default="", max_length=200)
    at: datetime | None = None


def case_json(case: Escalation, affected: list[str]) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "key": case.key,
        "id": case.id,
        "account": case.account_name,
        "account_value": case.account_value,
        "account_currency": case.account_currency,
        "affected_accounts": affected,
        "summary": case.summary,
        "category": case.category.value,
        "severity": case.severity.value,
        "status": case.status.value,
        "private": case.is_private,
        "owner": case.owner_id,
        "reporter": case.reporter_id,
        "stakeholders": list(case.stakeholder_ids),
        "channel_id": case.channel_id,
        "created_at": iso(case.created_at),
        "acknowledged_at": iso(case.acknowledged_at),
        "next_update_due_at": iso(case.next_update_due_at),
        "resolved_at": iso(case.resolved_at),
        "closed_at": iso(case.closed_at),
        "customer_last_heard_at": iso(case.customer_heard_at),
        "promises": {"made": case.promises_made, "kept": case.promises_kept},
        "satisfaction": case.satisfaction_score,
    }


def caller(scope: str) -> Callable[..., ApiToken]:
    """A route's caller: a live token with `scope`, within its rate (401, 403, 429 otherwise)."""

    def check(request: Request, authorization: str | None = Header(default=None)) -> ApiToken:
        engine, limiter = request.app.state.engine, request.app.state.limiter
        bearer = (authorization or "").removeprefix("Bearer ").strip()
        token = tokens.verify(engine, bearer) if bearer else None
        if token is None:
            raise HTTPException(401, "a valid API token is needed", headers={"WWW-Authenticate": "Bearer"})
        if scope not in token.scopes:
            raise HTTPException(403, f"this token lacks the scope {scope}")
        wait = limiter.take(token.id or 0)
        if wait:
            raise HTTPException(429, "too many requests", headers={"Retry-After": str(math.ceil(wait))})
        return token

    return check


WriteCases = Annotated[ApiToken, Depends(caller("escalations:write"))]
ReadCases = Annotated[ApiToken, Depends(caller("escalations:read"))]
WriteAccounts = Annotated[ApiToken, Depends(caller("accounts:write"))]


def create_api(components: Components) -> FastAPI:
    engine = components.engine
    api = FastAPI(
        title="Escalations API",
        version="1",
        description="Open escalations from other systems, follow them, keep accounts current.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    api.state.engine = engine
    api.state.limiter = RateLimiter(components.settings.api_rate_per_minute)

    @api.middleware("http")
    async def once_per_key(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Every POST with an Idempotency-Key is done once per token: a replay gets the first answer."""
        key = request.headers.get("idempotency-key")
        bearer = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        # Opening an escalation is made once by the case's own key (two writes fewer on its path).
        own_key = request.url.path == f"{PREFIX}/escalations"
        if request.method != "POST" or not key or not bearer or own_key:
            return await call_next(request)
        token = await run_in_threadpool(tokens.verify, engine, bearer)
        if token is None:
            return await call_next(request)  # refused as any unauthenticated call is
        try:
            earlier = await run_in_threadpool(
                tokens.claim, engine, token.id or 0, key[:200], request.url.path
            )
        except tokens.InProgress:
            return JSONResponse({"error": "the same Idempotency-Key is being answered"}, status_code=409)
        if earlier is not None:
            status, body = earlier
            return JSONResponse(body, status_code=status, headers={"Idempotent-Replayed": "true"})
        response = await call_next(request)
        content = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        try:
            body = json.loads(content or b"{}")
        except ValueError:
            body = {}
        await run_in_threadpool(tokens.settle, engine, token.id or 0, key[:200], response.status_code, body)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content=content, status_code=response.status_code, headers=headers)

    @api.exception_handler(Invalid)
    def invalid(request: Request, exc: Invalid) -> JSONResponse:
        return JSONResponse({"errors": exc.errors}, status_code=422)

    @api.exception_handler(RequestValidationError)
    def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = {".".join(str(p) for p in e["loc"][1:]) or "body": str(e["msg"]) for e in exc.errors()}
        return JSONResponse({"errors": errors}, status_code=422)

    def person(field: str, value: str, errors: dict[str, str]) -> str | None:
        """A Slack user id, or the id of the person with that e-mail (users.lookupByEmail)."""
        value = value.strip()
        if _SLACK_USER.match(value):
            return value
        if "@" not in value:
            errors[field] = "a Slack user id like U012ABCDEF, or the person's e-mail"
            return None
        try:
            return str(components.client.users_lookupByEmail(email=value)["user"]["id"])
        except SLACK_ERRORS as exc:
            errors[field] = (
                f"no one in Slack has the e-mail {value}"
                if error_code(exc) == "users_not_found"
                else "Slack could not be asked; try again"
            )
            return None

    def case_of(key: str) -> Escalation:
        number = key.upper().removeprefix(KEY_PREFIX)
        try:
            return get_case(engine, int(number))
        except (CaseNotFound, ValueError):
            raise HTTPException(404, f"no escalation {key}") from None

    def directory_names(field: str, wanted: list[str]) -> tuple[list[str], dict[str, str]]:
        """The directory's names of accounts given by name or SYSTEM:ID; a problem per unknown one."""
        names: list[str] = []
        errors: dict[str, str] = {}
        for i, name in enumerate(wanted):
            found = accounts.find_account(engine, name)
            if found is None:
                errors[f"{field}.{i}"] = f"no account {name} in the directory"
            else:
                names.append(found.name)
        return names, errors

    def affected_of(case: Escalation) -> list[str]:
        return accounts.affected_names(engine, [case.id or 0]).get(case.id or 0, [])

    @api.post(f"{PREFIX}/escalations", status_code=201, summary="Open an escalation")
    def open_escalation(
        body: EscalationIn,
        response: Response,
        token: WriteCases,
        idempotency_key: str | None = Header(default=None, max_length=200),
    ) -> dict[str, Any]:
        errors: dict[str, str] = {}
        name = body.account
        if ":" in body.account:
            found = accounts.find_account(engine, body.account)
            if found is None:
                errors["account"] = f"no account {body.account} in the directory"
            else:
                name = found.name
        owner = person("owner", body.owner, errors)
        reporter = person("reporter", body.reporter, errors)
        stakeholders = [
            s for i, v in enumerate(body.stakeholders) if (s := person(f"stakeholders.{i}", v, errors))
        ]
        category = Category(body.category) if body.category in Category else None
        if category is None:
            errors["category"] = f"one of {', '.join(str(c) for c in Category)}"
        severity = Severity(body.severity) if body.severity in Severity else None
        if body.severity is not None and severity is None:
            errors["severity"] = f"one of {', '.join(str(s) for s in Severity)}"
        unknown = [t for t in body.triggers if t not in Trigger]
        if unknown:
            errors["triggers"] = (
                f"unknown: {', '.join(unknown)} (known: {', '.join(str(t) for t in Trigger)})"
            )
        kinds = {k.value: k for k in LinkKind}
        links = {kinds[k]: v for k, v in body.links.items() if k in kinds}
        if set(body.links) - set(kinds):
            errors["links"] = f"links may be {', '.join(kinds)}"
        affected, not_found = directory_names("affected_accounts", body.affected_accounts)
        errors |= not_found
        form = IntakeForm(
            affected_accounts=affected,
            account=name,
            summary=body.summary,
            description=body.description,
            category=category,
            severity=severity,
            owner_id=owner,
            account_value_text=body.account_value or "",
            triggers=[Trigger(t) for t in body.triggers if t in Trigger],
            stakeholder_ids=stakeholders,
            links=links,
        )
        intake, problems = validate_intake(form, components.settings.default_currency)
        errors |= {_api_field(f): message for f, message in problems.items() if _api_field(f) not in errors}
        errors |= {_api_field(f): m for f, m in people_errors(components, owner, stakeholders).items()}
        if errors or intake is None or reporter is None:
            raise Invalid(errors or {"body": "not valid"})
        # The same key from the same token is the same case (kept as the case's submission id).
        submitted = hashlib.sha256(f"{token.id}:{idempotency_key or uuid.uuid4().hex}".encode()).hexdigest()
        opened = open_case(
            engine,
            intake=intake,
            reporter_id=reporter,
            team_id=components.team_id,
            intake_view_id=f"api:{submitted[:56]}",
            origin_channel_id=None,
            reply_url=None,
            ack_within=components.ack_window(trigger_effects(intake.triggers, intake.severity)),
            policy=components.reminder_policy,
        )
        if opened.created:
            components.open_in_slack(opened.case)
            if opened.case.ack_due_at is not None:
                components.reminders.wake_at(opened.case.ack_due_at - components.reminder_policy.ack_before)
        else:
            response.status_code = 200
        return case_json(opened.case, affected_of(opened.case))

    @api.get(f"{PREFIX}/escalations/{{key}}", summary="One escalation")
    def read_escalation(key: str, token: ReadCases) -> dict[str, Any]:
        case = case_of(key)
        return case_json(case, affected_of(case))

    @api.get(f"{PREFIX}/escalations", summary="Escalations, newest first, a page at a time")
    def list_escalations(
        token: ReadCases,
        status: str | None = None,
        account: str | None = None,
        category: str | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = Query(default=50, ge=1, le=200),
    ) -> dict[str, Any]:
        query = select(Escalation).order_by(col(Escalation.id).desc()).limit(limit + 1)
        if status:
            query = query.where(col(Escalation.status) == status)
        if account:
            query = query.where(Escalation.account_key == account_key(account))
        if category:
            query = query.where(col(Escalation.category) == category)
        if since:
            query = query.where(col(Escalation.created_at) >= since)
        if cursor:
            try:
                before = int(base64.urlsafe_b64decode(cursor.encode()).decode())
            except ValueError:
                raise Invalid({"cursor": "not a cursor this API gave"}) from None
            query = query.where(col(Escalation.id) < before)
        with Session(engine) as session:
            rows = list(session.exec(query))
        page, more = rows[:limit], len(rows) > limit
        next_cursor = base64.urlsafe_b64encode(str(page[-1].id).encode()).decode() if more and page else None
        names = accounts.affected_names(engine, [c.id or 0 for c in page])
        return {"items": [case_json(c, names.get(c.id or 0, [])) for c in page], "next_cursor": next_cursor}

    @api.post(f"{PREFIX}/escalations/{{key}}/notes", status_code=201, summary="A note from another system")
    def add_note(
        key: str,
        body: NoteIn,
        token: WriteCases,
    ) -> dict[str, Any]:
        case = case_of(key)
        source = body.source or token.name
        add_event(engine, case.id or 0, EventKind.NOTE_ADDED, None, source=source)
        if case.channel_id:
            note = render_message(
                "api_note.json.j2", case=case_context(case), source=UserText(source), text=UserText(body.text)
            )
            channel = components.provisioner.channel

            def post() -> None:
                channel.post_in_case(case, note)

            components.work.submit(f"note:{case.id}:{uuid.uuid4().hex}", post)
        return {"key": case.key, "source": source}

    @api.post(
        f"{PREFIX}/escalations/{{key}}/affected_accounts",
        summary="List other accounts the case's problem hits (an outage spreading)",
    )
    def add_affected_accounts(key: str, body: AffectedIn, token: WriteCases) -> dict[str, Any]:
        case = case_of(key)
        if case.status == Status.CLOSED:
            raise HTTPException(409, f"{case.key} is closed")
        names, errors = directory_names("accounts", body.accounts)
        if errors:
            raise Invalid(errors)
        source = body.source or token.name
        added = cases.add_affected(engine, case.id or 0, names, None, source=source)
        if added:
            components.work.submit(
                f"affected:{case.id}:{uuid.uuid4().hex}",
                partial(tell_accounts_added, case.id or 0, [a.name for a in added], source),
            )
        return {"added": [a.name for a in added], "escalation": case_json(case, affected_of(case))}

    def tell_accounts_added(case_id: int, names: list[str], source: str) -> None:
        """The channel told, the card and Home tabs current, the new accounts' CSMs told."""
        case = get_case(engine, case_id)
        with speaking(components.settings.default_locale):
            message = render_message(
                "accounts_added.json.j2",
                case=case_context(case),
                actor=None,
                source=UserText(source),
                added=names,
                account=accounts.account_facts(engine, case) or {},
            )
        components.after_change(case, message)
        components.provisioner.provision(case_id)

    @api.put(
        f"{PREFIX}/accounts/{{external_id}}",
        status_code=201,
        summary="Create or update an account by its id elsewhere",
    )
    def put_account(
        external_id: str,
        body: dict[str, Any],
        response: Response,
        token: WriteAccounts,
    ) -> dict[str, Any]:
        system, _sep, value = external_id.partition(":")
        if not value:
            raise Invalid({"external_id": "SYSTEM:ID, like crm:0015A"})
        row, wrong = read_record(
            {**body, f"{system.lower()}_id": value}, components.settings.default_currency
        )
        if row is None:
            raise Invalid(
                {w.partition(": ")[0] if ": " in w else "body": w.partition(": ")[2] or w for w in wrong}
            )
        report = accounts.import_accounts(engine, [row])
        if report.problems:
            raise Invalid({"account": report.problems[0].split(": ", 1)[-1]})
        if not report.created:
            response.status_code = 200
        return {"external_id": external_id, "created": bool(report.created), "raised": report.raised}

    @api.post(f"{PREFIX}/accounts/{{external_id}}/signals", status_code=201, summary="A health signal")
    def add_account_signal(
        external_id: str,
        body: SignalIn,
        token: WriteAccounts,
    ) -> dict[str, Any]:
        found = accounts.find_account(engine, external_id)
        if found is None:
            raise HTTPException(404, f"no account {external_id}")
        at = body.at or datetime.now().astimezone()
        raised = judgement.add_signal(
            engine, found.id or 0, body.kind, at=at, detail=body.detail, source=token.name
        )
        return {"external_id": external_id, "raised": raised}

    return api


def _api_field(field: IntakeField) -> str:
    """The intake's field as the API names it."""
    return {
        IntakeField.LINK_TICKET: "links.ticket",
        IntakeField.LINK_CRM: "links.crm",
        IntakeField.LINK_PROBLEM_RECORD: "links.problem_record",
        IntakeField.LINK_SOURCE: "links.source",
    }.get(field, field.value)
