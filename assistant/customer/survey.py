"""The satisfaction survey's page: `PUBLIC_BASE_URL/csat/<token>`, served by the app itself.

The token is signed and expires (itsdangerous), and names only the case. One answer
per case: a second visit changes it. Plain HTML forms, no JavaScript, usable on a
phone, in the customer's language (the case's first contact's).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from jinja2 import Environment

from assistant.content import i18n
from assistant.content.registry import Content, installed
from assistant.domain.satisfaction import SCORES
from assistant.rendering.render import content_environment
from assistant.services import customer
from assistant.services.cases import CaseNotFound, get_case
from assistant.services.satisfaction import record_satisfaction
from assistant.settings import Settings

logger = logging.getLogger(__name__)

PATH_PREFIX = "/csat/"
MAX_FORM_BYTES = 16 * 1024
COMMENT_MAX = 2000
StartResponse = Callable[..., Any]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    # Derived from the signing secret: no setting of its own to forget, and never the secret itself.
    key = hashlib.sha256(b"csat:" + settings.slack_signing_secret.get_secret_value().encode()).hexdigest()
    return URLSafeTimedSerializer(key, salt="csat")


def token_for(settings: Settings, case_id: int) -> str:
    return _serializer(settings).dumps({"case": case_id})


def links(settings: Settings, case_id: int) -> dict[int, str]:
    base = (settings.public_base_url or "").rstrip("/")
    token = token_for(settings, case_id)
    return {score: f"{base}{PATH_PREFIX}{token}?score={score}" for score in SCORES}


def case_of_token(settings: Settings, token: str) -> int | None:
    """The case a token names, or None if it is forged or expired."""
    try:
        data = _serializer(settings).loads(token, max_age=settings.survey_valid_days * 86400)
    except (BadSignature, SignatureExpired):
        return None
    case_id = data.get("case") if isinstance(data, dict) else None
    return case_id if isinstance(case_id, int) else None


def _environment() -> Environment:
    return _environment_of(installed())


@cache
def _environment_of(content: Content) -> Environment:
    return content_environment(True, content.custom_dir)  # a web page: every value HTML-escaped


def _page(start_response: StartResponse, status: str, locale: str, **context: Any) -> Iterable[bytes]:
    context = {"problem": False, "chosen": None, "comment": "", "case": None, "token": "", **context}
    with i18n.speaking(locale):
        body = (
            _environment().get_template("survey_page.html.j2").render(locale=locale, scores=SCORES, **context)
        )
    data = body.encode()
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Frame-Options", "DENY"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
            ("Referrer-Policy", "no-referrer"),
        ],
    )
    return [data]


def survey_app(
    engine: sa.Engine, settings: Settings, on_answer: Callable[[int], None]
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI handler of /csat/… (`on_answer(case_id)`: show the answer in Slack, in the background)."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        token = str(environ.get("PATH_INFO") or "")[len(PATH_PREFIX) :]
        case_id = case_of_token(settings, token)
        if case_id is None:
            return _page(start_response, "404 Not Found", i18n.current_locale(), state="invalid")
        try:
            case = get_case(engine, case_id)
        except CaseNotFound:
            return _page(start_response, "404 Not Found", i18n.current_locale(), state="invalid")
        contacts = customer.contacts_of(engine, case_id)
        locale = contacts[0].locale if contacts else i18n.current_locale()
        context = {"case": case, "token": token}
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            query = parse_qs(str(environ.get("QUERY_STRING") or ""))
            chosen = _score(query.get("score", [""])[0]) or case.satisfaction_score
            return _page(start_response, "200 OK", locale, state="ask", chosen=chosen, comment="", **context)
        if method != "POST":
            start_response("405 Method Not Allowed", [("Allow", "GET, POST"), ("Content-Length", "0")])
            return [b""]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_FORM_BYTES:
            start_response("413 Payload Too Large", [("Content-Length", "0")])
            return [b""]
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
        score = _score(form.get("score", [""])[0])
        comment = form.get("comment", [""])[0].strip()[:COMMENT_MAX]
        if score is None:
            return _page(
                start_response,
                "422 Unprocessable Content",
                locale,
                state="ask",
                chosen=None,
                comment=comment,
                problem=True,
                **context,
            )
        record_satisfaction(engine, case_id, actor_id=None, score=score, comment=comment, source="survey")
        on_answer(case_id)
        return _page(
            start_response, "200 OK", locale, state="thanks", chosen=score, comment=comment, **context
        )

    return application


def _score(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) in SCORES else None
