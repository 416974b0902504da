"""Webhooks out: which timeline events other systems may subscribe to, and what each one says.

The payload is stable and documented (README, "Webhooks"): `type`, `timestamp`, and `data`
with the case (`key`, `id`), who acted (a Slack id or null), and the event's own details.
Never customer text, never an internal note: what happened, not what was said.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

from assistant.domain.events import EventKind

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Timeline events -> webhook event types (a reminder counts only when a promise is due soon).
EVENT_TYPES: dict[EventKind, str] = {
    EventKind.OPENED: "opened",
    EventKind.ACKNOWLEDGED: "acknowledged",
    EventKind.UPDATE_POSTED: "update_posted",
    EventKind.CUSTOMER_COMMUNICATION_SENT: "customer_communication_sent",
    EventKind.REMINDER_SENT: "promise_due_soon",
    EventKind.BREACH: "promise_missed",
    EventKind.MANAGERS_TOLD: "escalated",
    EventKind.REASSIGNED: "reassigned",
    EventKind.RESOLVED: "resolved",
    EventKind.RCA_RECORDED: "rca_published",
    EventKind.CLOSED: "closed",
    EventKind.SATISFACTION_RECORDED: "csat_received",
}
TYPES: tuple[str, ...] = tuple(dict.fromkeys(EVENT_TYPES.values()))
# The details each type carries (from the timeline event's data): nothing written by people.
_DETAILS = (
    "owner_id", "category", "severity", "triggers", "next_update_due_at", "on_time", "route", "purpose",
    "promise_kept", "late_by_us", "queued_at", "delivered_at", "reminder", "late", "from", "to",
    "customer_confirmed", "rca_due_at", "action_items", "cause_area", "with_rca", "score", "source",
    "internal_only", "promised", "first_contact", "first_contact_kept", "first_contact_late_by_us",
)  # fmt: skip


def event_type(kind: str, data: dict[str, Any]) -> str | None:
    """The webhook type of a timeline event, or None if it is not one subscribers hear of."""
    if kind not in EventKind._value2member_map_:
        return None
    found = EVENT_TYPES.get(EventKind(kind))
    if found == "promise_due_soon" and not str(data.get("reminder", "")).endswith("_soon"):
        return None
    return found


# What a private case's events (a security or data-breach trigger) still say: times and whether
# promises were kept, never who, what kind, how severe or why (as the API redacts such a case).
_PRIVATE_DETAILS = frozenset(
    {"next_update_due_at", "on_time", "promise_kept", "late_by_us", "queued_at", "delivered_at",
     "reminder", "late", "rca_due_at", "promised", "internal_only", "first_contact", "first_contact_kept",
     "first_contact_late_by_us"}
)  # fmt: skip


def payload(
    kind: str,
    key: str,
    case_id: int,
    actor_id: str | None,
    at: datetime,
    data: dict[str, Any],
    *,
    private: bool = False,
) -> dict[str, Any]:
    shown = _PRIVATE_DETAILS if private else _DETAILS
    escalation: dict[str, Any] = {"key": key, "id": case_id}
    if private:
        escalation["redacted"] = True
    return {
        "type": event_type(kind, data),
        "timestamp": at.isoformat(),
        "data": {
            "escalation": escalation,
            "actor": None if private else actor_id,
            "details": {k: v for k, v in data.items() if k in shown},
        },
    }


# -- which receivers may be called (README: "Webhooks") ----------------------------------------
#
# A subscription names the receiver that hears of cases, and only it may be called: never the
# cloud's metadata service, a database on the private network or the app itself. So the URL is
# checked when it is added and again at every call, where its name is resolved and each address
# it gives is checked; the call then goes to an address checked (never to a second resolution,
# which a rebinding name could point elsewhere).

SECRET_PREFIX = "whsec_"
# Standard Webhooks: a signing key of 24 to 64 bytes, base64 after the prefix.
SECRET_BYTES = (24, 64)
URL_MAX_LENGTH = 500  # webhook_subscription.url
# NAT64 (RFC 6052): an IPv6 address that is an IPv4 one behind a translator.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class EndpointRefused(ValueError):
    """A receiver that may not be called; the message says why (never the URL's credentials)."""


@dataclass(frozen=True)
class EndpointPolicy:
    """Which receivers may be called: public https ones, unless the operator allows more
    (WEBHOOK_ALLOW_HTTP_LOOPBACK, WEBHOOK_ALLOWED_NETWORKS)."""

    allow_http_loopback: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why this address may not be called; None if it may."""
        address = _unwrapped(address)
        if any(address in network for network in self.allowed_networks):
            return None
        if address.is_loopback and self.allow_http_loopback:
            return None
        kind = _kind(address)
        return None if kind is None else f"{address} is not a public address ({kind})"


def _unwrapped(address: IPAddress) -> IPAddress:
    """An IPv4 address written as IPv6 (::ffff:10.0.0.1, NAT64) is judged as the IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _kind(address: IPAddress) -> str | None:
    """The kind of a non-public address, None for a public one."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if isinstance(address, ipaddress.IPv6Address):
        # 6to4 and Teredo carry an IPv4 address of their own: judged by it.
        inner = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inner is not None and _kind(inner) is not None:
            return "private"
        if address.is_site_local:
            return "private"
    if not address.is_global:  # shared address space (100.64.0.0/10) and the like
        return "non-public"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host is written as, or None for a name. A number a resolver reads as an
    address in another form (0x7f000001, 2130706433, 0177.0.0.1, 127.1) is refused outright:
    nobody registers a receiver that way but to slip past a check."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
    except OSError:
        return None
    raise EndpointRefused(f"{host!r} is an address in an unusual form: write it as a.b.c.d")


def check_url(url: str, policy: EndpointPolicy, *, resolving: bool = False) -> SplitResult:
    """The URL's parts if it may be a receiver's (raises EndpointRefused saying why otherwise):
    https; plain http only to loopback with WEBHOOK_ALLOW_HTTP_LOOPBACK; no credentials; a host
    written as an address must be a public one (or allowed). A name is resolved when called:
    `resolving` (at a call) leaves whether plain http goes to loopback to `check_addresses`."""
    if len(url) > URL_MAX_LENGTH:
        raise EndpointRefused(f"the URL is longer than {URL_MAX_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise EndpointRefused("this is not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in {"https", "http"} or not parts.hostname:
        raise EndpointRefused("the receiver's URL must be https://host/path")
    if "@" in parts.netloc:
        # Each call is signed (webhook-signature): a password in the URL would only be leaked
        # (shown by `webhook list`, logged by proxies).
        raise EndpointRefused("the URL must not carry a user name or password (each call is signed)")
    host = parts.hostname
    address = literal_address(host)
    if address is not None:
        refusal = policy.refusal(address)
        if refusal:
            raise EndpointRefused(f"{refusal}; allow it with WEBHOOK_ALLOWED_NETWORKS if it is yours")
    if resolving and scheme == "http" and policy.allow_http_loopback:
        return parts  # the addresses the name gives now must all be loopback
    if scheme == "http" and not (policy.allow_http_loopback and is_loopback_host(host, address)):
        raise EndpointRefused(
            "plain http is refused: use https (http only to loopback, with WEBHOOK_ALLOW_HTTP_LOOPBACK=true)"
        )
    return parts


def is_loopback_host(host: str, address: IPAddress | None = None) -> bool:
    if address is not None:
        return _unwrapped(address).is_loopback
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def check_addresses(parts: SplitResult, addresses: list[IPAddress], policy: EndpointPolicy) -> str | None:
    """Why a call to these addresses (what the URL's host resolved to now) is refused; None if it
    is not. Every address must pass: a name that also answers a private one is refused."""
    if not addresses:
        return "the host resolved to no address"
    plain = parts.scheme.lower() == "http"
    for address in addresses:
        refusal = policy.refusal(address)
        if refusal:
            return refusal
        if plain and not (policy.allow_http_loopback and _unwrapped(address).is_loopback):
            return f"plain http to {address}: http goes only to loopback, with WEBHOOK_ALLOW_HTTP_LOOPBACK"
    return None


def check_secret(secret: str) -> None:
    """A signing secret as Standard Webhooks writes it: whsec_ and a base64 key of 24 to 64 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise EndpointRefused("the secret must be a whsec_ key (whsec_ and the key in base64)")
    key = secret[len(SECRET_PREFIX) :]
    try:
        raw = base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EndpointRefused("the secret must be a whsec_ key: what follows whsec_ is not base64") from None
    low, high = SECRET_BYTES
    if not low <= len(raw) <= high:
        raise EndpointRefused(
            f"the secret must be a whsec_ key of {low} to {high} bytes (this one has {len(raw)})"
        )


def shown_url(url: str) -> str:
    """The URL as shown to people: a user name or password (stored before they were refused)
    masked."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()
