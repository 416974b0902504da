"""The API (FastAPI, served by the same waitress as Slack's requests, through a2wsgi).

Every route takes a bearer token with a scope. Every error is an RFC 9457 problem
(`application/problem+json`, see problems.py); a 422 names every field's problem at once, the
type's and the content's. Bodies are read here, not by FastAPI, for that reason: a field of the
wrong type does not hide the others' problems, and text is cleaned as the Slack path cleans it
(no NUL or control characters, a lone surrogate as U+FFFD) before anything else sees it.

A POST with an `Idempotency-Key` is done once per token and key (the IETF Idempotency-Key
draft): the key is bound to a fingerprint of the request (the key with another body is a 422),
only a completed answer is kept (2xx, or a 404/409 about what the request names), and a failure,
a refusal of the content or a 429 releases the key for the corrected retry. Opening an
escalation runs the modal's own rules and the same provisioning.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
import threading
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Annotated, Any, cast

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from sqlmodel import Session, col, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import tokens
from assistant.api.problems import KEY_MAX, KEY_PATTERN, PROBLEM, document, field_errors, problem
from assistant.components import Components
from assistant.content.i18n import _, speaking
from assistant.domain.account_rows import read_record
from assistant.domain.accounts import account_key
from assistant.domain.events import EventKind
from assistant.domain.intake import (
    MAX_AFFECTED_ACCOUNTS,
    MAX_STAKEHOLDERS,
    IntakeField,
    IntakeForm,
    LinkKind,
    validate_intake,
)
from assistant.domain.judgement import SignalKind
from assistant.domain.practice import Category, Severity, Trigger
from assistant.domain.status import Status
from assistant.domain.text import clean_text
from assistant.domain.triggers import trigger_effects
from assistant.domain.visibility import can_see_details
from assistant.listeners.intake import owner_tier_error, people_errors
from assistant.logs import log_context
from assistant.metrics import count_api_request
from assistant.models import KEY_PREFIX, AccountExternalId, ApiToken, Escalation
from assistant.presenters.case_context import case_context
from assistant.rendering.escape import UserText
from assistant.rendering.render import render_message
from assistant.services import accounts, cases, judgement
from assistant.services.cases import CaseNotFound, get_case, open_case, tagged
from assistant.services.events import add_event
from assistant.slack.client import SLACK_ERRORS, error_code

PREFIX = "/api/v1"
logger = logging.getLogger(__name__)

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# Row ids are 32-bit integers in PostgreSQL: a larger number names nothing (and must not reach SQL).
MAX_ID = 2**31 - 1
_CASE_KEY = re.compile(rf"^(?:{KEY_PREFIX})?([0-9]{{1,10}})$", re.IGNORECASE)
_CURSOR = re.compile(r"^[1-9][0-9]{0,9}$")
# SYSTEM:ID as the import names external ids (`crm_id` → crm:0015A): no spaces, so "Acme: EMEA"
# is a name, as it is in the modal.
_SYSTEM_ID = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,38}):(\S{1,120})$")
_KEY = re.compile(KEY_PATTERN)
_ISO_MOMENT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
# Answers kept for an Idempotency-Key's replays: the request was done (2xx), or its answer is
# about what it names (no such case, a closed case). Anything else (401, 403, 422, 429, 5xx)
# did nothing, so the key is released and the corrected retry runs.
_KEPT_REFUSALS = {404, 409, 410}
# Routes whose own row records the Idempotency-Key in the transaction that does the work (a case
# opened: one transaction, not three), rather than the key's claim and answer (api_request).
KEYED_BY_THEIR_ROW = {f"{PREFIX}/escalations"}


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC moment
        raise ValueError("a moment between the years 1 and 9999") from None


def _iso_text(value: Any) -> Any:
    # pydantic would take 0 or "0.5" as seconds since 1970: the document promises RFC 3339 text.
    if not isinstance(value, str) or not _ISO_MOMENT.match(value):
        raise ValueError("a date and time with its zone, like 2026-01-01T09:00:00Z")
    return value


# A moment with its zone (2026-01-01T09:00:00Z): a date or a time without a zone is refused.
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc)]


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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account": "crm:0015A",
                    "summary": "SSO outage",
                    "description": "Nobody can log in since 09:00.",
                    "category": "technical",
                    "severity": "high",
                    "owner": "sarah.miller@vendor.example",
                    "stakeholders": ["U0EXEC001"],
                    "reporter": "U0CSM0001",
                    "links": {"ticket": "https://support.example.com/tickets/4521"},
                    "affected_accounts": ["Globex"],
                }
            ]
        }
    )

    account: str = Field(
        min_length=1,
        description="the account's name, or its id in another system (crm:0015A) from the directory",
    )
    account_value: str | None = Field(default=None, description="as typed on the form: 120000, $120k")
    summary: str
    description: str
    category: str = Field(description="a category id of the playbook")
    severity: str | None = Field(
        default=None, description="a severity id (the category's usual one if left out)"
    )
    triggers: list[str] = Field(default_factory=list, max_length=20, description="trigger ids that apply")
    owner: str = Field(description="a Slack user id, or the person's e-mail")
    stakeholders: list[str] = Field(
        default_factory=list,
        max_length=MAX_STAKEHOLDERS,
        description=f"Slack user ids or e-mails (at most {MAX_STAKEHOLDERS}, counted before any lookup)",
    )
    reporter: str = Field(description="who reports it: a Slack user id or e-mail")
    links: dict[str, str] = Field(
        default_factory=dict, description="ticket, crm, problem_record, source: URLs"
    )
    affected_accounts: list[str] = Field(
        default_factory=list,
        max_length=MAX_AFFECTED_ACCOUNTS,
        description="other accounts the same problem hits, from the directory: names or crm:0015B",
    )
    affected_services: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="the team's services it affects: ids of the playbook's `services` (flows/playbook.yml)",
    )
    tags: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="internal tags: ids of the playbook's `tags` (flows/playbook.yml)",
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "The customer confirmed the fix."}]})

    text: str = Field(min_length=1, max_length=3000)
    source: str | None = Field(
        default=None, max_length=40, description="who says it (the token's name by default)"
    )


class AffectedIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"accounts": ["crm:0015B", "Initech"]}]})

    accounts: list[str] = Field(
        min_length=1,
        max_length=MAX_AFFECTED_ACCOUNTS,
        description="other accounts the case's problem hits, from the directory: names or crm:0015B",
    )
    source: str | None = Field(
        default=None, max_length=40, description="who says so (the token's name by default)"
    )


class SignalIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "stakeholder_left", "detail": "decision_maker"}]}
    )

    kind: SignalKind
    detail: str = Field(default="", max_length=200)
    at: Moment | None = Field(default=None, description="when, with its zone (now if left out)")


class AccountIn(BaseModel):
    """An account as the import takes it; any `<system>_id` (crm_id, helpdesk_id) is an external id."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "name": "Acme Inc",
                    "tier": "enterprise",
                    "contract_value": "$120k",
                    "csm": "U0CSM0001",
                    "health": 45,
                }
            ]
        },
    )

    name: str
    tier: str | None = None
    contract_value: str | float | None = Field(default=None, description="120000, $120k")
    currency: str | None = None
    renewal_date: str | None = Field(default=None, description="YYYY-MM-DD")
    region: str | None = None
    timezone: str | None = Field(default=None, description="America/Sao_Paulo")
    language: str | None = None
    csm: str | None = Field(default=None, description="a Slack user id")
    sponsor: str | None = Field(default=None, description="a Slack user id")
    health: float | None = Field(default=None, allow_inf_nan=False, description="a score from 0 to 100")
    aliases: list[str] | str | None = None
    domains: list[str] | str | None = None
    contacts: list[str] | str | None = None
    external_ids: dict[str, str] | None = None
    slack_connect_channel: str | None = None
    slack_connect_channel_name: str | None = None


class Promises(BaseModel):
    made: int
    kept: int


class CaseOut(BaseModel):
    """A case. A private case is redacted (`redacted`: true) for a token without
    escalations:read_private: its key, status, owner and times only, as Slack shows it to outsiders."""

    key: str
    id: int
    private: bool
    redacted: bool
    status: str
    owner: str
    account: str | None
    account_value: int | None
    account_currency: str | None
    affected_accounts: list[str]
    affected_services: list[str]
    tags: list[str]
    summary: str | None
    category: str | None
    severity: str | None
    reporter: str | None
    stakeholders: list[str]
    channel_id: str | None
    created_at: datetime | None
    acknowledged_at: datetime | None
    next_update_due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    customer_last_heard_at: datetime | None
    promises: Promises | None
    satisfaction: int | None


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="give it as `cursor` for the next page; null at the end")


class NoteOut(BaseModel):
    key: str
    source: str


class AffectedOut(BaseModel):
    added: list[str] = Field(description="the accounts that were not listed already")
    escalation: CaseOut


class AccountOut(BaseModel):
    external_id: str
    created: bool
    raised: int = Field(description="concerns raised for the CSM to judge (a health fall)")


class SignalOut(BaseModel):
    external_id: str
    raised: int


BODIES: list[type[BaseModel]] = [EscalationIn, NoteIn, AffectedIn, SignalIn, AccountIn]


def case_json(case: Escalation, affected: list[str], *, visible: bool = True) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    shown = {
        "key": case.key,
        "id": case.id,
        "private": case.is_private,
        "redacted": not visible,
        "status": case.status.value,
        "owner": case.owner_id,
        "created_at": iso(case.created_at),
        "acknowledged_at": iso(case.acknowledged_at),
        "next_update_due_at": iso(case.next_update_due_at),
        "resolved_at": iso(case.resolved_at),
        "closed_at": iso(case.closed_at),
    }
    if not visible:
        return {
            **shown,
            **dict.fromkeys(
                (
                    "account",
                    "account_value",
                    "account_currency",
                    "summary",
                    "category",
                    "severity",
                    "reporter",
                    "channel_id",
                    "customer_last_heard_at",
                    "promises",
                    "satisfaction",
                )
            ),
            "affected_accounts": [],
            "affected_services": [],
            "tags": [],
            "stakeholders": [],
        }
    return {
        **shown,
        "account": case.account_name,
        "account_value": case.account_value,
        "account_currency": case.account_currency,
        "affected_accounts": affected,
        "affected_services": list(case.affected_services or []),
        "tags": list(case.tags or []),
        "summary": case.summary,
        "category": case.category.value,
        "severity": case.severity.value,
        "reporter": case.reporter_id,
        "stakeholders": list(case.stakeholder_ids),
        "channel_id": case.channel_id,
        "customer_last_heard_at": iso(case.customer_heard_at),
        "promises": {"made": case.promises_made, "kept": case.promises_kept},
        "satisfaction": case.satisfaction_score,
    }


def sees(token: ApiToken, case: Escalation) -> bool:
    """The visibility rule of the Slack side, with the token in the person's place: a token is
    one of a private case's people only by its explicit scope escalations:read_private."""
    who = f"api-token:{token.id}"
    people = [*case.participants, *([who] if tokens.READ_PRIVATE in token.scopes else [])]
    return can_see_details(is_private=case.is_private, user_id=who, participants=people)


def bearer_of(request: Request) -> str:
    return (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()


def caller(scope: str) -> Callable[..., ApiToken]:
    """A route's caller: a live token with `scope`, within its rate (401, 403, 429 otherwise)."""

    def check(request: Request) -> ApiToken:
        engine, limiter = request.app.state.engine, request.app.state.limiter
        bearer = bearer_of(request)
        # Verified already by the Idempotency-Key's middleware for a keyed POST: not read twice.
        token = getattr(request.state, "token", None)
        if token is None:
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


CaseKey = Annotated[str, Path(description="the case's key", examples=["ESC-1"])]
WriteCases = Annotated[ApiToken, Depends(caller("escalations:write"))]
READ_CASES = "escalations:read"
ReadCases = Annotated[ApiToken, Depends(caller(READ_CASES))]
WriteAccounts = Annotated[ApiToken, Depends(caller("accounts:write"))]

_NOT_JSON = object()


async def json_body(request: Request) -> Any:
    """The body as JSON, its text cleaned as the Slack path cleans it; never raises, so that the
    token is checked first (a caller without one is told 401, whatever it sent)."""
    try:
        return _cleaned(json.loads(await request.body()))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, a number past Python's limit
        return _NOT_JSON


def _cleaned(value: Any) -> Any:
    """Every string cleaned with the Slack path's rule (domain.text), the members' names too:
    a name is echoed in a problem's `errors`, and a lone surrogate cannot be written as UTF-8."""
    if isinstance(value, dict):
        return {clean_text(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return clean_text(value) if isinstance(value, str) else value


RawBody = Annotated[Any, Depends(json_body)]


@lru_cache(maxsize=64)
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = model.model_fields[name]
    if not field.metadata:
        return TypeAdapter(cast(Any, field.annotation))
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)])  # type: ignore[arg-type]


def checked(model: type[BaseModel], raw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Each field of `raw` validated on its own: (the good values, one message per bad field).
    A field of the wrong type leaves the others to be checked, so one answer names them all."""
    if raw is _NOT_JSON or not isinstance(raw, dict):
        return {}, {"body": "a JSON object"}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, field in model.model_fields.items():
        if name not in raw:
            if field.is_required():
                errors[name] = "required"
            else:
                values[name] = field.get_default(call_default_factory=True)
            continue
        try:
            values[name] = _adapter(model, name).validate_python(raw[name])
        except ValidationError as exc:
            errors |= field_errors(exc, (name,))
    return values, errors


def body_of(model: type[BaseModel]) -> dict[str, Any]:
    """The request body a route reads itself, for the OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key (the draft writes it as a quoted string; both are taken)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def fingerprint(method: str, target: str, body: bytes) -> str:
    """The request a key is bound to: its method, path and query, and its body (JSON read, so a
    retry that orders the same members differently is the same request)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(b"%s %s\n%s" % (method.encode(), target.encode(), canonical)).hexdigest()


def create_api(components: Components) -> FastAPI:
    engine = components.engine
    api = FastAPI(
        title="Escalations API",
        version="1",
        description="Open escalations from other systems, follow them, keep accounts current.",
        openapi_url=f"{PREFIX}/openapi.json",
        # FastAPI's documentation pages load their scripts from a CDN: none is served.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    api.state.engine = engine
    api.state.limiter = RateLimiter(components.settings.api_rate_per_minute)

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            spec = get_openapi(
                title=api.title, version=api.version, description=api.description, routes=api.routes
            )
            api.openapi_schema = document(spec, BODIES)
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]

    def request_id(request: Request) -> str | None:
        return getattr(request.state, "request_id", None)

    @api.middleware("http")
    async def edge(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Every request gets an id; a failure is answered as a problem and logged once, with that
        id and without the request's content (a2wsgi would otherwise swallow it unlogged)."""
        rid = request.state.request_id = uuid.uuid4().hex
        try:
            with log_context(request_id=rid):
                response = await once_per_key(request, call_next)
        except Exception as exc:
            route = getattr(request.scope.get("route"), "path", "?")
            # The frames only: an exception's message may quote the request's text.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            logger.error(
                "API request %s failed: %s %s raised %s\n%s",
                rid,
                request.method,
                route,
                type(exc).__name__,
                frames,
            )
            response = problem(500, "the request failed on our side", request_id=rid)
        else:
            if response.status_code >= 500:
                logger.error("API request %s answered %s", rid, response.status_code)
        # By the route's template (/api/v1/escalations/{key}), never the path people typed.
        count_api_request(getattr(request.scope.get("route"), "path", "unmatched"), response.status_code)
        response.headers["X-Request-Id"] = rid
        return response

    async def once_per_key(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Every POST with an Idempotency-Key is done once per token: a replay gets the first answer."""
        key = idempotency_key(request)
        bearer = bearer_of(request)
        if request.method != "POST" or key is None or not bearer:
            return await call_next(request)
        token = await run_in_threadpool(tokens.verify, engine, bearer)
        if token is None:
            return await call_next(request)  # refused as any unauthenticated call is
        request.state.token = token
        if not 1 <= len(key) <= KEY_MAX or not _KEY.match(key):
            return problem(
                422,
                "the Idempotency-Key is not one this API takes",
                errors={"Idempotency-Key": f"1 to {KEY_MAX} visible ASCII characters"},
                request_id=request_id(request),
            )
        path = request.url.path
        target = f"{path}?{request.url.query}" if request.url.query else path
        bound = fingerprint(request.method, target, await request.body())
        if path in KEYED_BY_THEIR_ROW:
            request.state.fingerprint = bound
            return await call_next(request)
        token_id = token.id or 0
        try:
            earlier = await run_in_threadpool(tokens.claim, engine, token_id, key, path[:300], bound)
        except tokens.InProgress:
            return problem(
                409, "a request with this Idempotency-Key is being answered", request_id=request_id(request)
            )
        except tokens.KeyReused:
            return key_reused(request)
        if earlier is not None:
            status, body = earlier
            # Nothing is created by a replay: the first answer, as 200 where it was a 201.
            return JSONResponse(
                body,
                status_code=200 if status == 201 else status,
                headers={"Idempotent-Replayed": "true"},
                media_type="application/json" if status < 400 else PROBLEM,
            )
        try:
            response = await call_next(request)
            content = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        except BaseException:
            await run_in_threadpool(tokens.release, engine, token_id, key)
            raise
        if response.status_code < 300 or response.status_code in _KEPT_REFUSALS:
            try:
                body = json.loads(content or b"{}")
            except ValueError:
                body = {}
            await run_in_threadpool(tokens.settle, engine, token_id, key, response.status_code, body)
        else:
            await run_in_threadpool(tokens.release, engine, token_id, key)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content=content, status_code=response.status_code, headers=headers)

    def key_reused(request: Request) -> JSONResponse:
        return problem(
            422,
            "this Idempotency-Key was used for another request",
            errors={"Idempotency-Key": "used already for another request: a new request needs a new key"},
            request_id=request_id(request),
        )

    @api.exception_handler(tokens.KeyReused)
    def reused(request: Request, exc: tokens.KeyReused) -> JSONResponse:
        return key_reused(request)

    @api.exception_handler(Invalid)
    def invalid(request: Request, exc: Invalid) -> JSONResponse:
        return problem(
            422, "the request has problems, one per field", errors=exc.errors, request_id=request_id(request)
        )

    @api.exception_handler(RequestValidationError)
    def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, str] = {}
        for error in exc.errors():
            # ("query", "since") → "since": the parameter's own name.
            errors.setdefault(".".join(str(p) for p in error["loc"][1:]) or "body", str(error["msg"]))
        return problem(
            422, "the request has problems, one per field", errors=errors, request_id=request_id(request)
        )

    @api.exception_handler(StarletteHTTPException)
    def refused(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route of the path only (GET), not all (GET, POST).
            methods = {
                method
                for route in api.routes
                if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)
                for method in route.methods or ()
            }
            headers["Allow"] = ", ".join(sorted(methods))
        return problem(exc.status_code, str(exc.detail), headers=headers, request_id=request_id(request))

    def person(field: str, value: str, errors: dict[str, str], found: dict[str, str | None]) -> str | None:
        """A Slack user id, or the id of the person with that e-mail (users.lookupByEmail, once
        per e-mail in a request)."""
        value = value.strip()
        if _SLACK_USER.match(value):
            return value
        if "@" not in value:
            errors.setdefault(field, "a Slack user id like U012ABCDEF, or the person's e-mail")
            return None
        if value.lower() not in found:
            try:
                user = components.client.users_lookupByEmail(email=value)["user"]["id"]
                found[value.lower()] = str(user)
            except SLACK_ERRORS as exc:
                found[value.lower()] = None
                errors.setdefault(
                    field,
                    f"no one in Slack has the e-mail {value}"
                    if error_code(exc) == "users_not_found"
                    else "Slack could not be asked; try again",
                )
        return found[value.lower()]

    def case_of(key: str) -> Escalation:
        number = _CASE_KEY.match(key.strip())
        if number is None or int(number[1]) > MAX_ID:
            raise HTTPException(404, f"no escalation {clean_text(key)[:40]}")
        try:
            return get_case(engine, int(number[1]))
        except CaseNotFound:
            raise HTTPException(404, f"no escalation {clean_text(key)[:40]}") from None

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

    def known_system(system: str) -> bool:
        with Session(engine) as session:
            return (
                session.exec(
                    select(AccountExternalId.id).where(AccountExternalId.system == system.lower()).limit(1)
                ).first()
                is not None
            )

    def account_name(value: str, errors: dict[str, str]) -> str:
        """The case's account: the directory's, by name or SYSTEM:ID; else the name as given,
        as the modal takes a new one ("Acme: EMEA" is a name)."""
        found = accounts.find_account(engine, value) if ":" in value else None
        if found is not None:
            return found.name
        shaped = _SYSTEM_ID.match(value.strip())
        if shaped is not None and known_system(shaped[1]):
            errors["account"] = f"no account {value} in the directory"
        return value

    def affected_of(case: Escalation) -> list[str]:
        return accounts.affected_names(engine, [case.id or 0]).get(case.id or 0, [])

    @api.post(
        f"{PREFIX}/escalations",
        status_code=201,
        summary="Open an escalation",
        response_model=CaseOut,
        responses={200: {"model": CaseOut, "description": "the case this Idempotency-Key opened"}},
        openapi_extra=body_of(EscalationIn),
    )
    def open_escalation(
        raw: RawBody, request: Request, response: Response, token: WriteCases
    ) -> dict[str, Any]:
        got, errors = checked(EscalationIn, raw)
        # Everything the body says is checked before any Slack call; a field already wrong is
        # not looked up (and there are at most 32 people to look up: the counts are schema's).
        found: dict[str, str | None] = {}
        name = account_name(got["account"], errors) if "account" in got else ""
        owner = person("owner", got["owner"], errors, found) if "owner" in got else None
        reporter = person("reporter", got["reporter"], errors, found) if "reporter" in got else None
        stakeholders = [
            s
            for i, v in enumerate(got.get("stakeholders", []))
            if (s := person(f"stakeholders.{i}", v, errors, found))
        ]
        practice = components.content.practice
        category = Category(got["category"]) if got.get("category") in practice.categories else None
        if category is None and "category" in got:
            errors["category"] = f"one of {', '.join(practice.categories)}"
        severity = Severity(got["severity"]) if got.get("severity") in practice.severities else None
        if got.get("severity") is not None and severity is None:
            errors["severity"] = f"one of {', '.join(practice.severities)}"
        triggers = got.get("triggers", [])
        unknown = [t for t in triggers if t not in practice.triggers]
        if unknown:
            errors["triggers"] = f"unknown: {', '.join(unknown)} (known: {', '.join(practice.triggers)})"
        kinds = {k.value: k for k in LinkKind}
        given_links: dict[str, str] = got.get("links", {})
        links = {kinds[k]: v for k, v in given_links.items() if k in kinds}
        if set(given_links) - set(kinds):
            errors["links"] = f"links may be {', '.join(kinds)}"
        affected, not_found = directory_names("affected_accounts", got.get("affected_accounts", []))
        errors |= not_found
        form = IntakeForm(
            affected_accounts=affected,
            affected_services=list(got.get("affected_services", [])),
            tags=list(got.get("tags", [])),
            account=name,
            summary=got.get("summary", ""),
            description=got.get("description", ""),
            category=category,
            severity=severity,
            owner_id=owner,
            account_value_text=got.get("account_value") or "",
            triggers=[Trigger(t) for t in triggers if t in practice.triggers],
            stakeholder_ids=stakeholders,
            links=links,
        )
        intake, problems = validate_intake(form, practice, components.settings.default_currency)
        for field, wrong in problems.items():
            errors.setdefault(_api_field(field), _(wrong))  # a field's own (type) problem first
        for field, message in people_errors(components, owner, stakeholders).items():
            errors.setdefault(_api_field(field), message)
        if intake is not None and "owner" not in errors:
            effective = trigger_effects(practice, intake.triggers, intake.severity).severity
            tier = owner_tier_error(components, owner, effective)
            if tier:
                errors["owner"] = tier
        # The same key from the same token is the same case: the case row is the key's record
        # (its submission id and the request's hash), written in the case's own transaction.
        key = idempotency_key(request)
        submitted = hashlib.sha256(f"{token.id}:{key or uuid.uuid4().hex}".encode()).hexdigest()
        bound: str | None = getattr(request.state, "fingerprint", None)
        if errors or intake is None or reporter is None:
            # A retry of a case opened already is answered with it, though Slack (asked about the
            # people again) may not answer now: only a request with problems pays for the look.
            earlier = case_submitted(f"api:{submitted[:56]}") if key else None
            if earlier is None:
                raise Invalid(errors or {"body": "not valid"})
            return replayed(earlier, token, key, bound, response)
        opened = open_case(
            engine,
            intake=intake,
            practice=practice,
            reporter_id=reporter,
            team_id=components.team_id,
            intake_view_id=f"api:{submitted[:56]}",
            origin_channel_id=None,
            reply_url=None,
            ack_within=components.ack_window(intake.triggers, intake.severity),
            policy=components.reminder_policy,
            intake_fingerprint=bound,
        )
        if not opened.created:
            return replayed(opened.case, token, key, bound, response)
        components.open_in_slack(opened.case)
        components.wake_for_acknowledgement(opened.case)
        # The caller wrote the case: it reads it in full, private or not. A case just opened has
        # the accounts the request named (the directory's names): no query to read them back.
        return case_json(opened.case, list(intake.affected_accounts))

    def case_submitted(submission: str) -> Escalation | None:
        with Session(engine) as session:
            return session.exec(select(Escalation).where(Escalation.intake_view_id == submission)).first()

    def replayed(
        case: Escalation, token: ApiToken, key: str | None, bound: str | None, response: Response
    ) -> dict[str, Any]:
        """The case this key opened, as a replay (200), shown as this token may read it now (a
        replay is no way round the visibility rule); refused if the key came with another request."""
        kept = case.intake_fingerprint
        if kept is None and key is not None:  # opened before the case row kept it
            kept = tokens.fingerprint_kept(engine, token.id or 0, key)
        if bound is not None and kept not in (None, bound):
            raise tokens.KeyReused(case.key)
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
        return case_json(case, affected_of(case), visible=sees(token, case))

    @api.get(f"{PREFIX}/escalations/{{key}}", summary="One escalation", response_model=CaseOut)
    def read_escalation(key: CaseKey, token: ReadCases) -> dict[str, Any]:
        case = case_of(key)
        return case_json(case, affected_of(case), visible=sees(token, case))

    @api.get(
        f"{PREFIX}/escalations",
        summary="Escalations, newest first, a page at a time",
        response_model=CasePage,
    )
    def list_escalations(
        token: ReadCases,
        status: Status | None = None,
        account: str | None = None,
        category: str | None = None,
        tag: Annotated[str | None, Query(description="an internal tag's id (the playbook's `tags`)")] = None,
        since: Annotated[Moment | None, Query(description="with its zone: 2026-01-01T00:00:00Z")] = None,
        cursor: str | None = None,
        limit: int = Query(default=50, ge=1, le=200),
    ) -> dict[str, Any]:
        query = select(Escalation).order_by(col(Escalation.id).desc()).limit(limit + 1)
        categories = components.content.practice.categories
        if category is not None and category not in categories:
            raise Invalid({"category": f"one of {', '.join(categories)}"})
        tags = components.content.practice.tags
        if tag is not None and tag not in tags:
            raise Invalid({"tag": f"one of {', '.join(tags)}" if tags else "the playbook has no tags"})
        if tag:
            query = query.where(tagged(tag))
        if status:
            query = query.where(col(Escalation.status) == status)
        if account:
            query = query.where(Escalation.account_key == account_key(clean_text(account)))
        if category:
            query = query.where(col(Escalation.category) == category)
        if (account or category or tag) and tokens.READ_PRIVATE not in token.scopes:
            # A private case found by its account would say whose it is: left out of a filter.
            query = query.where(sa.not_(col(Escalation.is_private)))
        if since:
            query = query.where(col(Escalation.created_at) >= since)
        if cursor:
            query = query.where(col(Escalation.id) < _cursor_id(cursor))
        with Session(engine) as session:
            rows = list(session.exec(query))
        page, more = rows[:limit], len(rows) > limit
        next_cursor = base64.urlsafe_b64encode(str(page[-1].id).encode()).decode() if more and page else None
        names = accounts.affected_names(engine, [c.id or 0 for c in page])
        return {
            "items": [case_json(c, names.get(c.id or 0, []), visible=sees(token, c)) for c in page],
            "next_cursor": next_cursor,
        }

    @api.post(
        f"{PREFIX}/escalations/{{key}}/notes",
        status_code=201,
        summary="A note from another system",
        response_model=NoteOut,
        responses={200: {"model": NoteOut, "description": "the note this Idempotency-Key added (a replay)"}},
        openapi_extra=body_of(NoteIn),
    )
    def add_note(key: CaseKey, raw: RawBody, token: WriteCases) -> dict[str, Any]:
        got, errors = checked(NoteIn, raw)
        case = case_of(key)
        if errors:
            raise Invalid(errors)
        source = got["source"] or token.name
        add_event(engine, case.id or 0, EventKind.NOTE_ADDED, None, source=source)
        if case.channel_id:
            note = render_message(
                "api_note.json.j2",
                case=case_context(case),
                source=UserText(source),
                text=UserText(got["text"]),
            )
            channel = components.provisioner.channel

            def post() -> None:
                channel.post_in_case(case, note)

            components.work.submit(f"note:{case.id}:{uuid.uuid4().hex}", post)
        return {"key": case.key, "source": source}

    @api.post(
        f"{PREFIX}/escalations/{{key}}/affected_accounts",
        summary="List other accounts the case's problem hits (an outage spreading)",
        response_model=AffectedOut,
        openapi_extra=body_of(AffectedIn),
    )
    def add_affected_accounts(key: CaseKey, raw: RawBody, token: WriteCases) -> dict[str, Any]:
        got, errors = checked(AffectedIn, raw)
        case = case_of(key)
        if errors:
            raise Invalid(errors)
        if case.status == Status.CLOSED:
            raise HTTPException(409, f"{case.key} is closed")
        names, errors = directory_names("accounts", got["accounts"])
        if errors:
            raise Invalid(errors)
        source = got["source"] or token.name
        added, _removed = cases.add_affected(engine, case.id or 0, names, None, source=source)
        if added:
            components.work.submit(
                f"affected:{case.id}:{uuid.uuid4().hex}",
                partial(tell_accounts_added, case.id or 0, [a.name for a in added], source),
            )
        return {
            "added": [a.name for a in added],
            # A token that may not read cases learns only what it changed: the case redacted.
            "escalation": case_json(
                case, affected_of(case), visible=READ_CASES in token.scopes and sees(token, case)
            ),
        }

    def tell_accounts_added(case_id: int, names: list[str], source: str) -> None:
        """The channel told, the card and Home tabs current, the new accounts' CSMs told."""
        case = get_case(engine, case_id)
        with speaking(components.content.default_locale):
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
        response_model=AccountOut,
        responses={200: {"model": AccountOut, "description": "the account, updated"}},
        openapi_extra=body_of(AccountIn),
    )
    def put_account(
        external_id: Annotated[str, Path(description="SYSTEM:ID, like crm:0015A", examples=["crm:0015A"])],
        raw: RawBody,
        response: Response,
        token: WriteAccounts,
    ) -> dict[str, Any]:
        _got, errors = checked(AccountIn, raw)
        external_id = clean_text(external_id)
        shaped = _SYSTEM_ID.match(external_id)
        if shaped is None:
            errors["external_id"] = "SYSTEM:ID, like crm:0015A"
        # Other systems' ids (helpdesk_id…) are texts: never a number, a list or an object as text.
        for member, value in raw.items() if isinstance(raw, dict) else []:
            if member.endswith("_id") and value is not None and not isinstance(value, str):
                errors.setdefault(member, 'an id is a text, like "0015A"')
        row = None
        if shaped is not None and isinstance(raw, dict):
            # The directory's own checks (a time zone, a date, a CSM…) in the same answer as the
            # body's types: every field's problem at once.
            system, value = shaped[1].lower(), shaped[2]
            row, wrong = read_record({**raw, f"{system}_id": value}, components.settings.default_currency)
            for problem_said in map(_, wrong):
                field, _colon, message = problem_said.partition(": ")
                errors.setdefault(field if message else "body", message or problem_said)
        if errors or row is None:
            raise Invalid(errors or {"body": "not an account"})
        report = accounts.import_accounts(engine, [row], rules=components.content.practice.judgement)
        if report.problems:
            raise Invalid({"account": report.problems[0].split(": ", 1)[-1]})
        if not report.created:
            response.status_code = 200
        return {"external_id": external_id, "created": bool(report.created), "raised": report.raised}

    @api.post(
        f"{PREFIX}/accounts/{{external_id}}/signals",
        status_code=201,
        summary="A health signal",
        response_model=SignalOut,
        responses={
            200: {"model": SignalOut, "description": "the signal this Idempotency-Key recorded (a replay)"}
        },
        openapi_extra=body_of(SignalIn),
    )
    def add_account_signal(
        external_id: Annotated[str, Path(description="SYSTEM:ID or the name", examples=["crm:0015A"])],
        raw: RawBody,
        token: WriteAccounts,
    ) -> dict[str, Any]:
        got, errors = checked(SignalIn, raw)
        if errors:
            raise Invalid(errors)
        external_id = clean_text(external_id)
        found = accounts.find_account(engine, external_id)
        if found is None:
            raise HTTPException(404, f"no account {external_id}")
        at = got["at"] or datetime.now(UTC)
        raised = judgement.add_signal(
            engine,
            found.id or 0,
            got["kind"],
            at=at,
            detail=got["detail"],
            source=token.name,
            rules=components.content.practice.judgement,
        )
        return {"external_id": external_id, "raised": raised}

    return api


def _cursor_id(cursor: str) -> int:
    """The id a cursor this API gave stands for (a crafted one is refused, never sent to SQL)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except ValueError:  # not base64, not ASCII (UnicodeError is a ValueError)
        text = ""
    if not _CURSOR.match(text) or int(text) > MAX_ID:
        raise Invalid({"cursor": "not a cursor this API gave"})
    return int(text)


def _api_field(field: IntakeField) -> str:
    """The intake's field as the API names it."""
    return {
        IntakeField.LINK_TICKET: "links.ticket",
        IntakeField.LINK_CRM: "links.crm",
        IntakeField.LINK_PROBLEM_RECORD: "links.problem_record",
        IntakeField.LINK_SOURCE: "links.source",
    }.get(field, field.value)
