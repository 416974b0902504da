"""`/cases/ESC-42`: a case's link on the app's own site. Slack unfurls it into the case's summary
(listeners/case_links); opened, it leads to the case channel in Slack, where Slack itself decides
who may read it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from assistant.domain.case_links import case_number_in_path
from assistant.presenters.case_context import channel_url
from assistant.services.cases import case_numbered

if TYPE_CHECKING:
    from assistant.components import Components

StartResponse = Callable[..., Any]


def _plain(
    start_response: StartResponse, status: str, text: str, extra: list[tuple[str, str]]
) -> list[bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + extra)
    return [body]


def case_pages(components: Components) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            return _plain(start_response, "405 Method Not Allowed", "GET only\n", [("Allow", "GET, HEAD")])
        number = case_number_in_path(str(environ.get("PATH_INFO") or ""))
        case = case_numbered(components.engine, number) if number is not None else None
        if case is None:
            return _plain(start_response, "404 Not Found", "No such escalation.\n", [])
        if not case.channel_id:
            return _plain(
                start_response, "503 Service Unavailable", "The case channel is being set up.\n",
                [("Retry-After", "10")],
            )  # fmt: skip
        target = channel_url(components.team_id, case.channel_id)
        return _plain(start_response, "302 Found", f"{target}\n", [("Location", target)])

    return application
