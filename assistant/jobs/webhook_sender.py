"""Delivering webhooks: each owed event POSTed, signed the Standard Webhooks way, once it is
acknowledged (2xx), in order per case; retried with back-off; an endpoint dead for days is
disabled and the escalation managers are told.

Only the receiver that was registered is called: its name is resolved at each call, every address
it gives is checked (no private, loopback, link-local, multicast or reserved one unless allowed)
and the call goes to an address checked, with the name in its Host header and TLS check; a
redirect is a failed attempt, never followed.

Each endpoint has its own lane (a thread of its own while it has work): the loop claims what is
due and hands each subscription's share to its lane, so one slow or dead endpoint costs the
others nothing. A lane sends its share in order; one delivery that raises (a bug) is recorded on
itself by the supervisor and the lane goes on with the next."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import logging
import math
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import SplitResult

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from assistant.domain.webhooks import EndpointRefused, IPAddress, check_addresses, check_url, shown_url
from assistant.jobs.outbox import OutboxLoop
from assistant.jobs.supervision import Fault, Supervisor, run_supervised
from assistant.models import WebhookDelivery, WebhookSubscription, utcnow
from assistant.rendering.escape import UserText
from assistant.rendering.render import render_message
from assistant.services import webhooks
from assistant.settings import Settings
from assistant.slack.case_channel import CaseChannel
from assistant.slack.client import SLACK_ERRORS

logger = logging.getLogger(__name__)

# A lane with nothing to send for this long ends (a thread per endpoint only while it has work).
LANE_IDLE_SECONDS = 60.0
# How long the list of live subscriptions is trusted.
LIVE_SUBSCRIPTIONS_SECONDS = 2.0
# Events handed out to the subscribers' outboxes at a pass (services/webhooks.fan_out).
FAN_OUT_BATCH = 200
# How many deliveries a lane claims at a time while it drains its endpoint's queue.
LANE_BATCH = 20
# What is read of an answer: its status is what counts; a receiver's body is not kept.
ANSWER_BYTES = 64 * 1024

Claimed = tuple[WebhookDelivery, WebhookSubscription]


@dataclass
class _Lane:
    """One subscription's sender: its share of the claimed deliveries, sent one after another."""

    thread: threading.Thread | None = None
    batch: list[Claimed] = field(default_factory=list)
    busy: bool = False  # a share was handed to it and is not finished
    given: threading.Event = field(default_factory=threading.Event)


class WebhookSender(OutboxLoop):
    name = "webhooks"
    idle_seconds = 1.0  # what another instance owed is found within a second

    def __init__(
        self,
        *,
        engine: sa.Engine,
        settings: Settings,
        channel: CaseChannel,
        supervisor: Supervisor | None = None,
    ) -> None:
        super().__init__(supervisor)
        self.engine = engine
        self.settings = settings
        self.channel = channel
        self._lanes: dict[int, _Lane] = {}
        self._lanes_lock = threading.Lock()
        # The live subscriptions, read again every few seconds (one added meanwhile waits that long).
        self._live: set[int] = set()
        self._live_read_at = -math.inf
        # The certificate authorities of the system (or SSL_CERT_FILE): a receiver's certificate
        # must name its host.
        self._tls = ssl.create_default_context()

    # -- the loop: claim, and hand each endpoint its share ---------------------------------

    def _busy(self) -> set[int]:
        with self._lanes_lock:
            return {sub_id for sub_id, lane in self._lanes.items() if lane.busy}

    def _all_busy(self) -> bool:
        """Whether every live endpoint's lane is busy: each drains its own queue, so the loop has
        nothing to hand out (and spares the database two queries at each event written)."""
        now = time.monotonic()
        if now - self._live_read_at > LIVE_SUBSCRIPTIONS_SECONDS:
            self._live, self._live_read_at = webhooks.live_subscription_ids(self.engine), now
        busy = self._busy()
        return bool(self._live) and self._live <= busy

    def owed(self) -> None:
        """An event subscribers hear of was recorded in this process: handed out now, if anyone
        subscribes (else the next pass marks it, within a second: a burst of cases with nobody
        subscribed costs the database nothing more)."""
        if self._live:
            self.wake()

    def next_due(self) -> datetime | None:
        # A busy lane's endpoint is not waited for here: its lane wakes the loop when it is done.
        if self._all_busy():
            return None
        return webhooks.next_due(self.engine, skip=self._busy())

    def tick(self, limit: int = 20) -> int:
        # The events recorded since the last pass, written to each subscriber's outbox first (by
        # the sender: the change that recorded them never waited on the subscriptions).
        if self._all_busy():
            return 0  # each lane hands out what was recorded when its endpoint's queue is empty
        handed_out = webhooks.fan_out(self.engine, FAN_OUT_BATCH)
        claimed = webhooks.claim_due(
            self.engine,
            worker=self.worker,
            now=utcnow(),
            lease=self._lease(),
            limit=limit,
            skip=self._busy(),
        )
        shares: dict[int, list[Claimed]] = {}
        for delivery, subscription in claimed:
            shares.setdefault(delivery.subscription_id, []).append((delivery, subscription))
        for subscription_id, share in shares.items():
            self._hand(subscription_id, share)
        if handed_out >= FAN_OUT_BATCH:
            return handed_out
        return len(claimed) if len(claimed) >= limit else 0

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.webhook_timeout_seconds * 3)

    def _hand(self, subscription_id: int, share: list[Claimed]) -> None:
        with self._lanes_lock:
            lane = self._lanes.get(subscription_id)
            if lane is None or lane.thread is None or not lane.thread.is_alive():
                lane = self._lanes[subscription_id] = _Lane()
                lane.thread = threading.Thread(
                    target=run_supervised(
                        self.supervisor, self.name, partial(self._lane, subscription_id, lane)
                    ),
                    name=f"{self.name}-{subscription_id}",
                    daemon=True,
                )
                lane.thread.start()
            lane.batch, lane.busy = share, True
            lane.given.set()

    def stop(self) -> None:
        super().stop()
        with self._lanes_lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.given.set()
        # A lane in the middle of a call finishes it (its time-out at most), then ends.
        deadline = time.monotonic() + self.settings.webhook_timeout_seconds + 1
        for lane in lanes:
            if lane.thread is not None:
                lane.thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- one endpoint's lane ---------------------------------------------------------------

    def _lane(self, subscription_id: int, lane: _Lane) -> None:
        while not self._stopping.is_set():
            if not lane.given.wait(LANE_IDLE_SECONDS):
                with self._lanes_lock:
                    if not lane.given.is_set():  # nothing handed meanwhile: the lane ends
                        if self._lanes.get(subscription_id) is lane:
                            del self._lanes[subscription_id]
                        return
                continue
            lane.given.clear()
            share, lane.batch = lane.batch, []
            try:
                # The lane drains what its endpoint owes by itself (no hand-over back to the loop
                # between batches): at 100 events a second, each hand-over was a lag that grew.
                while self._send_share(share) and not self._stopping.is_set():
                    share = self._claim_more(subscription_id)
                    if not share:
                        break
            except sa.exc.SQLAlchemyError as exc:  # what is left stays claimed until its lease ends
                logger.warning("%s: the database is unavailable (%s)", self.name, type(exc).__name__)
            except Exception as exc:  # a bug outside any one delivery: logged with where; the lane goes on
                self.supervisor.pass_failed(self.name, exc)
            finally:
                with self._lanes_lock:
                    lane.busy = False
                self._wake.set()  # the loop claims what this endpoint owes next

    def _claim_more(self, subscription_id: int) -> list[Claimed]:
        """What this endpoint owes next, the events recorded since its last share handed out first
        (while every lane is busy, the loop leaves that to them)."""

        webhooks.fan_out(self.engine, FAN_OUT_BATCH)
        return webhooks.claim_due(
            self.engine,
            worker=self.worker,
            now=utcnow(),
            lease=self._lease(),
            limit=LANE_BATCH,
            only=subscription_id,
        )

    def _send_share(self, share: list[Claimed]) -> bool:
        """Send one endpoint's share in order; False if part of it was given back. What the lease
        would not cover (a slow endpoint) is given back rather than sent late, when another sender
        may already have taken it."""
        started = time.monotonic()
        budget = self._lease().total_seconds()
        for index, (delivery, subscription) in enumerate(share):
            if index and time.monotonic() - started + self.settings.webhook_timeout_seconds * 1.5 > budget:
                webhooks.release(self.engine, [d for d, _ in share[index:]], worker=self.worker, now=utcnow())
                return False
            unavailable: list[sa.exc.SQLAlchemyError] = []
            self.supervisor.handle(
                self.name,
                f"webhook:{delivery.id}",
                partial(self._attempt, delivery, subscription, unavailable),
                case_id=delivery.escalation_id,
                on_fault=partial(self._faulted, delivery),
            )
            if unavailable:
                raise unavailable[0]  # not a fault of this delivery: the lane waits for the database
        return True

    def _attempt(
        self,
        delivery: WebhookDelivery,
        subscription: WebhookSubscription,
        unavailable: list[sa.exc.SQLAlchemyError],
    ) -> None:
        # The database being unavailable is no fault of the delivery (it is not held back for it).
        try:
            self._send(delivery, subscription)
        except sa.exc.SQLAlchemyError as exc:
            unavailable.append(exc)

    def _faulted(self, delivery: WebhookDelivery, fault: Fault) -> None:
        """Sending it raised (a bug): tried again after the supervisor's back-off, or parked."""
        webhooks.hold_after_fault(
            self.engine,
            delivery,
            worker=self.worker,
            next_try_at=None if fault.parked else fault.next_try_at,
            error=fault.error,
            now=utcnow(),
        )

    # -- one call --------------------------------------------------------------------------

    def _send(self, delivery: WebhookDelivery, subscription: WebhookSubscription) -> None:
        body = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False)
        sent_at = utcnow()
        message_id = f"msg_{delivery.event_id}_{delivery.subscription_id}"  # the same on every attempt
        signature = Webhook(subscription.secret).sign(message_id, sent_at, body)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "escalation-assistant",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        status, error = self._call(subscription.url, body.encode(), headers)
        if status is not None and 200 <= status < 300:
            webhooks.delivered(self.engine, delivery, worker=self.worker, status=status, now=utcnow())
            return
        logger.warning("webhook %s to subscription %s not delivered (%s)", message_id, subscription.id, error)
        disabled = webhooks.failed(
            self.engine,
            delivery,
            worker=self.worker,
            status=status,
            error=error,
            now=utcnow(),
            disable_after=timedelta(days=self.settings.webhook_disable_after_days),
        )
        if disabled:
            self._tell_managers(subscription)

    def _call(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
        """POST to the receiver: (its status, or None; what went wrong, for the delivery's record).
        Whatever the endpoint does (refuses, hangs, answers nonsense or a redirect) is a failed
        attempt here, never an exception."""
        policy = webhooks.policy_of(self.settings)
        timeout = self.settings.webhook_timeout_seconds
        try:
            parts = check_url(url, policy, resolving=True)  # stored before a rule, or the rules changed
            addresses = _resolve(parts)
        except EndpointRefused as exc:
            return None, f"refused: {exc}"
        except (OSError, UnicodeError):  # socket.gaierror, or a name IDNA cannot write
            return None, "the host name does not resolve"
        refusal = check_addresses(parts, addresses, policy)
        if refusal:
            return None, f"refused: {refusal}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection = _connection(parts, addresses, timeout, self._tls)
        except (http.client.HTTPException, ValueError) as exc:  # a URL http.client cannot call
            return None, type(exc).__name__
        # The time-out is for the whole call, not each read: an endpoint that drips a byte at a
        # time would otherwise hold it past its claim (and another sender would send it again).
        over = threading.Event()
        timer = threading.Timer(timeout, _abort, args=(connection, over))
        timer.daemon = True
        timer.start()
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(ANSWER_BYTES)
            status = response.status
        except TimeoutError:
            return None, "timed out"
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # Refused, reset, a TLS failure, or not HTTP at all (BadStatusLine): an endpoint's
            # failure like a 500, retried with back-off.
            return None, "timed out" if over.is_set() else type(exc).__name__
        finally:
            timer.cancel()
            connection.close()
        if over.is_set():
            return None, "timed out"
        if 300 <= status < 400:
            # Never followed: a receiver that moved is registered again by its operator; following
            # would send the signed event (or a bare GET) wherever the answer points.
            return status, f"HTTP {status}"
        return status, "" if 200 <= status < 300 else f"HTTP {status}"

    def _tell_managers(self, subscription: WebhookSubscription) -> None:
        message = render_message(
            "webhook_disabled.json.j2",
            url=UserText(shown_url(subscription.url)),
            days=self.settings.webhook_disable_after_days,
            subscription_id=subscription.id,
        )
        for manager in self.settings.escalation_manager_ids:
            try:
                self.channel.post_once(
                    f"webhook:{subscription.id}:disabled:{manager}", manager, message, case_id=None
                )
            except SLACK_ERRORS:
                logger.warning("could not tell %s that webhook %s was disabled", manager, subscription.id)


def _abort(connection: http.client.HTTPConnection, over: threading.Event) -> None:
    """The call's time is up: its socket is shut, so whatever read it waits in ends now."""
    over.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # closed already
            sock.shutdown(socket.SHUT_RDWR)


def _resolve(parts: SplitResult) -> list[IPAddress]:
    """Every address the URL's host gives now (once: the call goes to one of these)."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in found:
            found.append(address)
    return found


def _open_socket(addresses: list[IPAddress], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of the checked addresses that answers."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            sock = socket.create_connection((str(address), port), timeout)
        except OSError as exc:
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to the addresses checked (the Host header still names the URL's host)."""

    def __init__(self, host: str, port: int | None, addresses: list[IPAddress], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _open_socket(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the addresses checked: SNI and the certificate check are for the URL's host."""

    def __init__(
        self, host: str, port: int | None, addresses: list[IPAddress], timeout: float, tls: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=tls)
        self.addresses = addresses
        self.tls = tls

    def connect(self) -> None:
        sock = _open_socket(self.addresses, self.port, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _connection(
    parts: SplitResult, addresses: list[IPAddress], timeout: float, tls: ssl.SSLContext
) -> http.client.HTTPConnection:
    host = parts.hostname or ""
    # The port always given: http.client would otherwise read one off an IPv6 host ([2001:db8::1]).
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    if https:
        return _PinnedHTTPSConnection(host, port, addresses, timeout, tls)
    return _PinnedHTTPConnection(host, port, addresses, timeout)
