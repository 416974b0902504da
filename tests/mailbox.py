"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, for the tests to read.

It can refuse connections (not started yet, or stopped: the server is down), and drop the
connection after a message's DATA without answering (the client cannot know whether it was
accepted: by SMTP's rule it was not, and nothing is kept).
"""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.harness import free_port, wait_for


class Mailbox:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.drops = 0  # how many next messages to drop after DATA
        self.dropped = 0
        # While set, a message's DATA is held without an answer (a server that hangs), and kept
        # only if the client is still there when it is cleared.
        self.holding = False
        self.held = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> Mailbox:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        wait_for(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} e-mail(s)")
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.box.holding:
            self.box.held += 1
            while self.box.holding and not server.transport.is_closing():
                await asyncio.sleep(0.05)
            if server.transport.is_closing():
                return "421 gone"  # the client went away: never accepted
        with self.box._lock:
            if self.box.drops > 0:
                self.box.drops -= 1
                self.box.dropped += 1
                server.transport.close()  # gone before the reply: not accepted
                return "421 closing"
            message = message_from_bytes(envelope.content, policy=default)
            assert isinstance(message, EmailMessage)
            self.box.messages.append(message)
            self.box.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]
