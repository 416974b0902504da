"""The stand-in's HTTP server: Web API at /api/<method>, response URLs, a control API."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from slack_standin.rate_limits import RateLimits
from slack_standin.workspace import Call, Fault, Workspace


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: tests read state, not logs

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        # The client may have given up waiting (a time-out under test): Slack's work is done all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        if path == "/_standin/calls":
            with self.server.workspace.lock:
                calls = [c.__dict__ for c in self.server.workspace.calls]
            self._send(200, calls)
        else:
            self._send(404, {"ok": False, "error": "unknown_method"})

    def do_POST(self) -> None:
        parsed = urlparse(self.path)
        raw = self._body()
        if parsed.path.startswith("/api/"):
            self._web_api(parsed.path.removeprefix("/api/"), parsed.query, raw)
        elif parsed.path.startswith("/_upload/"):
            stored = self.server.workspace.upload(parsed.path.removeprefix("/_upload/"), raw)
            self._send(200 if stored else 404, f"OK - {len(raw)}".encode() if stored else b"not found")
        elif parsed.path.startswith("/_response/"):
            status, text = self.server.workspace.respond(
                parsed.path.removeprefix("/_response/"), json.loads(raw or b"{}")
            )
            self._send(status, text.encode())
        elif parsed.path == "/_standin/config":
            config = json.loads(raw or b"{}")
            workspace = self.server.workspace
            with workspace.lock:
                workspace.default_latency = float(config.get("latency_ms", 0)) / 1000
                if "rate_limits_factor" in config:
                    factor = config["rate_limits_factor"]
                    workspace.rate_limits = RateLimits(float(factor)) if factor else None
                if config.get("reset_calls"):
                    workspace.calls.clear()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"ok": False, "error": "unknown_method"})

    def _web_api(self, method: str, query: str, raw: bytes) -> None:
        workspace = self.server.workspace
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
        content_type = self.headers.get("Content-Type", "")
        if raw:
            if content_type.startswith("application/json"):
                try:
                    args.update(json.loads(raw))
                except ValueError:
                    self._send(200, {"ok": False, "error": "invalid_json"})
                    return
            else:
                args.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
        token = args.pop("token", None)
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
        call = Call(method, args, started=time.monotonic())
        with workspace.lock:
            workspace.calls.append(call)
        fault = workspace.take_fault(method, args)
        if fault is None and workspace.rate_limits is not None:
            retry_after = workspace.rate_limits.check(method, args)
            if retry_after is not None:
                fault = Fault(method, 0, 429, "ratelimited", retry_after)
        delay = workspace.latency_for(method)
        if fault is not None and fault.delay:
            delay, fault = delay + fault.delay, None
        if fault is not None:
            if delay:
                time.sleep(delay)
            call.ended, call.status, call.error = time.monotonic(), fault.status, fault.error
            if fault.status == 429:
                self._send(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after or 1)}
                )
            elif fault.status >= 500:
                self._send(fault.status, b"upstream failure")
            else:
                self._send(200, {"ok": False, "error": fault.error})
            return
        body = workspace.handle(method, args, token)
        # Slack does the work, then the answer is slow: a client that times out
        # may find that its call took effect (as with a real network).
        if delay:
            time.sleep(delay)
        call.ended, call.error = time.monotonic(), body.get("error")
        self._send(200, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections under a burst (a 1 s SYN retry on the
    # client): Slack does not, so neither does its stand-in.
    request_queue_size = 128
    workspace: Workspace

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake, self._woken = socket.socketpair()

    def serve_until_stopped(self) -> None:
        """serve_forever, but woken by stop() at once: socketserver's own loop notices a shutdown
        only at its next poll (half a second), and a test suite starts and stops hundreds of these."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._woken, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._woken in ready:
                    return
                if ready:
                    self.handle_request()  # a connection is waiting: accepted at once

    def stop(self) -> None:
        """Ends serve_until_stopped (now, or as soon as it starts)."""
        with contextlib.suppress(OSError):  # stopped already
            self._wake.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake.close()
        self._woken.close()


class StandIn:
    """A running stand-in on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, workspace: Workspace | None = None, port: int = 0) -> None:
        self.workspace = workspace or Workspace()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.workspace = self.workspace
        self.workspace.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_until_stopped, daemon=True)

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/"

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        if self._thread.is_alive():
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
