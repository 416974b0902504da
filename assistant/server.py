"""HTTP serving: Bolt at /slack/events and a health check at /healthz, behind waitress."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]


def wsgi_app(app: App, engine: sa.Engine) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                status, body = "200 OK", {"ok": True, "database": "ok"}
            except sa.exc.SQLAlchemyError as exc:
                logger.warning("health check: database unreachable (%s)", type(exc).__name__)
                status, body = "503 Service Unavailable", {"ok": False, "database": "unreachable"}
            data = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        return slack(environ, start_response)

    return application


class HttpServer:
    """A waitress server that can also be stopped from another thread (tests, signals)."""

    def __init__(self, application: Callable[..., Any], host: str, port: int, threads: int = 16) -> None:
        self._server: Any = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="escalation-assistant",
            clear_untrusted_proxy_headers=True,
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    def serve_forever(self) -> None:
        logger.info("listening on %s%s", self.url, EVENTS_PATH)
        self._server.run()

    def _run_until_stopped(self) -> None:
        try:
            self._server.run()
        except OSError:
            # Closing the sockets under select() ends the loop with EBADF: expected when stopping.
            if not self._stopping.is_set():
                raise

    def start_in_thread(self) -> HttpServer:
        self._thread = threading.Thread(target=self._run_until_stopped, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.task_dispatcher.shutdown(timeout=5)
        for dispatcher in list(self._server._map.values()):
            dispatcher.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
