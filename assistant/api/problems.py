"""Every error of the API in one shape: RFC 9457 problem details (`application/problem+json`),
and the OpenAPI document that says so.

A problem has the RFC's members (`type`, `title`, `status`, `detail`) and two of ours:
`errors`, one message per field, every field's problem at once (a 422); and `request_id`, the
id the log line of a server error carries, so a caller can quote it.
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

PROBLEM = "application/problem+json"
# The longest Idempotency-Key taken, on every route (the IETF draft leaves the length to us).
KEY_MAX = 255
KEY_PATTERN = r"^[!-~]+$"  # visible ASCII: what an HTTP header carries unchanged


class Problem(BaseModel):
    """What went wrong (RFC 9457)."""

    type: str = Field(default="about:blank", description="about:blank: the status says it all")
    title: str = Field(description="the status's phrase")
    status: int
    detail: str = Field(description="what went wrong with this request")
    errors: dict[str, str] | None = Field(
        default=None, description="one message per field (a 422): every field's problem at once"
    )
    request_id: str | None = Field(default=None, description="as in the X-Request-Id header and the log")


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def undecodable_path(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """(status, headers, body) of a 404 problem for a request path that is not UTF-8 once its
    percent-escapes are read (`/api/v1/escalations/%FF`): no such thing exists. None for any
    other path."""
    try:
        str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8")
    except UnicodeError:
        request_id = uuid.uuid4().hex
        body = json.dumps(
            {
                "type": "about:blank",
                "title": HTTPStatus.NOT_FOUND.phrase,
                "status": 404,
                "detail": "no such path: it is not UTF-8",
                "request_id": request_id,
            }
        ).encode()
        headers = [
            ("Content-Type", PROBLEM),
            ("Content-Length", str(len(body))),
            ("X-Request-Id", request_id),
        ]
        return "404 Not Found", headers, body
    return None


def field_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> dict[str, str]:
    """pydantic's errors by field path (`stakeholders.3`), the first message of each."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = ".".join(str(p) for p in (*prefix, *error["loc"])) or "body"
        errors.setdefault(name, str(error["msg"]))
    return errors


_SAID = {
    401: "no valid API token (Authorization: Bearer esc_…)",
    403: "the token lacks the scope this route needs",
    404: "no such escalation or account",
    409: "the same Idempotency-Key is being answered, or the case is closed",
    422: "what is wrong, one message per field, every field at once",
    429: "past the token's calls a minute: try again after Retry-After seconds",
    500: "a failure of ours, logged with the request_id",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
}


def document(spec: dict[str, Any], bodies: list[type[BaseModel]]) -> dict[str, Any]:
    """FastAPI's document, completed to describe what is served: the bearer scheme, the problems
    each route can answer, the request bodies (routes read their bodies themselves, to report
    every field at once), the Idempotency-Key on every POST."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's own 422, never served
        schemas.pop(name, None)
    models: list[type[BaseModel]] = [Problem, *bodies]
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            operation["security"] = [{"bearer": []}]
            responses = operation.setdefault("responses", {})
            codes = [401, 403, 422, 429, 500]
            if "{" in path:
                codes.append(404)
            if method == "post":
                codes.append(409)
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": (
                            "done once per token and key: the same request again gets the first "
                            "answer (Idempotent-Replayed: true); the key with another request is a 422"
                        ),
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": KEY_MAX,
                            "pattern": KEY_PATTERN,
                        },
                    }
                )
            for code in sorted(codes):
                responses[str(code)] = {
                    "description": _SAID[code],
                    "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    **({"headers": _HEADERS[code]} if code in _HEADERS else {}),
                }
    return spec
