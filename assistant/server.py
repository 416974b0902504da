"""HTTP serving behind waitress: Slack's requests at /slack/events, health at /healthz, /readyz, /livez,
the customer's pages (the satisfaction survey) under /csat/ and the API under /api/.

Nothing reaches Bolt before it is known to come from Slack: the size, the
timestamp and the signature are checked here first, so an unsigned request
costs one log line and no more (no traceback, never its body).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server

from assistant import health
from assistant.domain.case_links import CASE_PATH

if TYPE_CHECKING:
    from assistant.components import Components

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# /healthz and /livez: liveness (the process and its loops: restart it if not); /readyz: readiness.
HEALTH_PATHS = {"/healthz": True, "/readyz": False, "/livez": True}
# Slack's payloads are a few KB; a modal with every field full is well under this.
MAX_BODY_BYTES = 1024 * 1024
# Slack signs with a timestamp and refuses replays older than this.
MAX_CLOCK_SKEW_SECONDS = 60 * 5

StartResponse = Callable[..., Any]
HealthSource = Callable[[bool], tuple[int, dict[str, Any]]]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
PAGES_PREFIX = "/csat/"
API_PREFIX = "/api/"
CASES_PREFIX = CASE_PATH
METRICS_PATH = "/metrics"

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _reply(
    start_response: StartResponse, status: int, body: bytes | str, content_type: str = "text/plain"
) -> Iterable[bytes]:
    data = body.encode() if isinstance(body, str) else body
    start_response(
        f"{status} {REASONS.get(status, 'Unknown')}",
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = str(environ["CONTENT_LENGTH"])
    return headers


def signature_problem(verifier: SignatureVerifier, body: str, headers: dict[str, str]) -> str | None:
    """Why this request is not Slack's (None if it is), in a few words fit for a log line."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        return "unsigned"
    if not timestamp.isdigit():
        return "malformed timestamp"
    if abs(verifier.clock.now() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return "stale timestamp"
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return "bad signature"
    return None


def bolt_request(body: str, query: str, headers: dict[str, str | Sequence[str]]) -> BoltRequest:
    """Bolt's request for a verified body, working around slack-bolt 1.30's `parse_body`.

    Bolt treats any form body that contains the word "payload" as an interaction
    and finds no `payload=` field in a slash command whose text (or channel, user
    or team name) says "payload": the command is lost as a 404. Here a form body
    without a `payload` field is always read as the plain form it is.
    """
    request = BoltRequest(body=body, query=query, headers=dict(headers))
    content_type = str(headers.get("content-type") or "")
    is_json = content_type.startswith("application/json") or body.startswith("{")
    # An interaction (`payload=…`, 10 KB and more for a modal) is not read a second time.
    has_payload_field = body.startswith("payload=") or "&payload=" in body
    if not is_json and "payload" in body and not has_payload_field:
        form = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in form:
            request.body = form
            request.context = build_context(BoltContext({}), form)
    return request


def wsgi_app(
    app: App,
    signing_secret: str,
    health_source: HealthSource,
    in_flight: health.InFlight | None = None,
    mounts: Mapping[str, Wsgi] | None = None,
) -> Wsgi:
    """`mounts`: the other apps served, by path prefix (see mounted_apps)."""
    verifier = SignatureVerifier(signing_secret)

    def events(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 400, "bad Content-Length")
        if length > MAX_BODY_BYTES:
            logger.warning("refused a request of %s bytes (more than %s)", length, MAX_BODY_BYTES)
            return _reply(start_response, 413, "too large")
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("refused a request whose body is not UTF-8")
            return _reply(start_response, 400, "bad encoding")
        headers = _headers(environ)
        problem = signature_problem(verifier, body, headers)
        if problem:
            logger.warning("refused a request to %s: %s", EVENTS_PATH, problem)
            return _reply(start_response, 401, "")
        try:
            request = bolt_request(body, str(environ.get("QUERY_STRING") or ""), dict(headers))
        except ValueError:
            # Signed by Slack but not JSON or a form we can read: nothing to dispatch.
            logger.warning("refused a signed request whose body could not be parsed")
            return _reply(start_response, 400, "bad body")
        try:
            with in_flight or contextlib.nullcontext():
                response = app.dispatch(request)
        except sa.exc.SQLAlchemyError as exc:
            # Slack shows the person its own error; nothing was half-done (one transaction per change).
            logger.warning("a request failed: the database is unavailable (%s)", type(exc).__name__)
            return _reply(start_response, 503, "")
        data = (response.body or "").encode()
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        out_headers = [(k, v) for k, v in out_headers if k.lower() != "content-length"]
        out_headers.append(("Content-Length", str(len(data))))
        start_response(f"{response.status} {REASONS.get(response.status, 'Unknown')}", out_headers)
        return [data]

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path in HEALTH_PATHS:
            if method not in {"GET", "HEAD"}:
                return _reply(start_response, 405, "GET or HEAD")
            status, report = health_source(HEALTH_PATHS[str(path)])
            payload = json.dumps(report).encode()
            result = _reply(start_response, status, payload, "application/json")
            return [] if method == "HEAD" else result
        if path == EVENTS_PATH:
            if method != "POST":
                return _reply(start_response, 405, "POST")
            return events(environ, start_response)
        if (mounted := _mounted(mounts, path)) is not None:
            return mounted(environ, start_response)
        return _reply(start_response, 404, "not found")

    return application


def health_server_app(health_source: HealthSource, mounts: Mapping[str, Wsgi] | None = None) -> Wsgi:
    """Socket Mode has no Slack endpoint: only the health checks and the mounted apps are served."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if (mounted := _mounted(mounts, path)) is not None:
            return mounted(environ, start_response)
        if path not in HEALTH_PATHS:
            return _reply(start_response, 404, "not found")
        if method not in {"GET", "HEAD"}:
            return _reply(start_response, 405, "GET or HEAD")
        status, report = health_source(HEALTH_PATHS[str(path)])
        result = _reply(start_response, status, json.dumps(report).encode(), "application/json")
        return [] if method == "HEAD" else result

    return application


class HttpServer:
    """A waitress server that can also be stopped from another thread (tests, signals).

    Tuned so that idle or half-sent connections cannot starve Slack's requests:
    poll() instead of select() (no 1024-descriptor ceiling), room for many
    connections, and idle ones closed after a few seconds.
    """

    def __init__(self, application: Callable[..., Any], host: str, port: int, threads: int = 16) -> None:
        self._server: Any = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="escalation-assistant",
            clear_untrusted_proxy_headers=True,
            asyncore_use_poll=True,
            # How long the loop waits on its sockets, in whole seconds (waitress reads it with
            # int(): 0.1 became 0 and the idle loop spun a core). stop() wakes it at once.
            asyncore_loop_timeout=1,
            connection_limit=2000,
            channel_timeout=10,
            cleanup_interval=2,
            max_request_body_size=MAX_BODY_BYTES,
            max_request_header_size=64 * 1024,
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    def serve_forever(self) -> None:
        logger.info("listening on %s", self.url)
        self._run_until_stopped()

    def _run_until_stopped(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):
            # Closing the sockets under poll() ends the loop with EBADF: expected when stopping.
            if not self._stopping.is_set():
                raise

    def start_in_thread(self) -> HttpServer:
        self._thread = threading.Thread(target=self._run_until_stopped, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopping.is_set():
            return  # stopped already: the trigger's pipe is closed (a write could reach a reused fd)
        self._stopping.set()
        self._server.task_dispatcher.shutdown(timeout=5)
        # The sockets are closed by the loop's own thread, woken through waitress's trigger: the
        # loop ends as soon as its map is empty instead of after its poll's time-out.
        # A trigger closed already means the loop has ended: what is left is closed below.
        with contextlib.suppress(OSError):
            self._server.trigger.pull_trigger(self._close_sockets)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_sockets()  # serve_forever's loop, or one that did not wake: closed from here

    def _close_sockets(self) -> None:
        for dispatcher in list(self._server._map.values()):
            dispatcher.close()


def component_health(components: Components) -> HealthSource:
    """The health of a running app, from its components."""
    from assistant.services import notices

    def source(live_only: bool) -> tuple[int, dict[str, Any]]:
        problems: list[str] = []
        if not live_only:
            try:
                problems = [
                    f"{n.key}: {n.detail}"
                    for n in notices.active(components.engine)
                    if n.key not in notices.NOT_FAULTS
                ]
            except sa.exc.SQLAlchemyError:
                problems = []  # the database check reports it
        return health.report(
            components.engine,
            components.heartbeat,
            problems,
            live_only=live_only,
            supervisor=components.supervisor,
        )

    return source


def customer_pages(components: Components) -> Wsgi:
    """The survey page; an answer is shown on the card and the Home tabs in the background."""
    from assistant.customer.survey import survey_app
    from assistant.services.cases import get_case

    def on_answer(case_id: int) -> None:
        def show() -> None:
            case = get_case(components.engine, case_id)
            components.provisioner.channel.refresh(case)
            components.home.refresh_for(case)

        components.work.submit(f"satisfaction:{case_id}", show)

    return survey_app(components.engine, components.settings, on_answer)


def _mounted(mounts: Mapping[str, Wsgi] | None, path: object) -> Wsgi | None:
    return next((app for prefix, app in (mounts or {}).items() if str(path).startswith(prefix)), None)


def mounted_apps(components: Components) -> dict[str, Wsgi]:
    """What is served beside Slack's endpoint and the health checks, by path prefix: people and
    systems waiting on an answer, so background work yields to them as to Slack's requests."""
    from assistant.case_pages import case_pages
    from assistant.metrics import metrics_app

    served = {
        METRICS_PATH: metrics_app(components.metrics),
        PAGES_PREFIX: customer_pages(components),
        API_PREFIX: api_app(components),
        CASES_PREFIX: case_pages(components),
    }
    return {prefix: counted(components.in_flight, app) for prefix, app in served.items()}


def counted(in_flight: health.InFlight, app: Wsgi) -> Wsgi:
    """`app`, each request counted in flight until its body is sent (a WSGI body may be made as
    it is read: the server closes it when done)."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        in_flight.__enter__()
        try:
            body = app(environ, start_response)
        except BaseException:
            in_flight.__exit__()
            raise
        return _Counted(body, in_flight)

    return application


class _Counted:
    """A WSGI body whose request stops being counted when the server closes it (PEP 3333: always,
    even when the body was never read, as for a client gone)."""

    def __init__(self, body: Iterable[bytes], in_flight: health.InFlight) -> None:
        self.body, self.in_flight, self.closed = body, in_flight, False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.in_flight.__exit__()


def api_app(components: Components) -> Wsgi:
    """The HTTP API (FastAPI, an ASGI app) served by waitress like the rest: its limits on bodies
    and idle connections hold for it too."""
    from a2wsgi import ASGIMiddleware

    from assistant.api.app import create_api
    from assistant.api.problems import undecodable_path

    # The API's event loop runs in a thread of its own, stopped with the app's parts (a2wsgi's
    # own would run until the process ends: one more thread for every app started in a process).
    loop = asyncio.new_event_loop()

    def run_loop() -> None:
        loop.run_forever()
        loop.close()

    threading.Thread(target=run_loop, name="api-loop", daemon=True).start()

    def stop_loop() -> None:
        loop.call_soon_threadsafe(loop.stop)

    components.stops.append(stop_loop)
    asgi = ASGIMiddleware(create_api(components), loop=loop)  # type: ignore[arg-type]

    def api(environ: dict[str, Any], start_response: Any) -> Any:
        # a2wsgi decodes the path as UTF-8 before FastAPI sees it: a path that is not (`/%FF`)
        # would be its bare 500. It is a 404 problem like any unknown path.
        refused = undecodable_path(environ)
        if refused is not None:
            status, headers, body = refused
            start_response(status, headers)
            return [body]
        return asgi(environ, start_response)  # type: ignore[arg-type]

    return api  # type: ignore[return-value]
