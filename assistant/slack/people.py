"""Who people are, from users.info, cached briefly (names and flags change rarely)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.content.i18n import negotiate
from assistant.domain.intake import PersonFacts


@dataclass(frozen=True)
class Person:
    facts: PersonFacts
    name: str
    title: str
    tz: str
    is_admin: bool = False
    # Slack's locale for the person ("pt-BR", "es-419"); what they read is written in it.
    locale: str = "en-US"
    # The profile's e-mail (users:read.email): where the customer's replies go.
    email: str = ""
    # The profile picture, for messages posted as this person in a Slack Connect channel.
    avatar: str = ""


def locale_of(person: Person | None) -> str:
    """Our locale for what this person reads (English when we do not know them yet)."""
    return negotiate(person.locale if person else None)


def zone_of(person: Person | None) -> str | None:
    """The person's timezone name, if known (None reads as UTC)."""
    return person.tz if person else None


# Lookups with a deadline run here, so the caller can stop waiting (the lookup still fills the cache).
_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="people")


class People:
    def __init__(self, client: WebClient, ttl_seconds: float = 600.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Person]] = {}
        self._lock = threading.Lock()

    def cached(self, user_id: str) -> Person | None:
        """The person if known and fresh, without asking Slack (for work before a 3-second deadline)."""
        with self._lock:
            hit = self._cache.get(user_id)
        return hit[1] if hit and time.monotonic() - hit[0] < self._ttl else None

    def get(self, user_id: str, client: WebClient | None = None) -> Person:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit and now - hit[0] < self._ttl:
            return hit[1]
        try:
            user = (client or self._client).users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") in {"user_not_found", "user_not_visible"}:
                return Person(PersonFacts(user_id, exists=False), user_id, "", "UTC")
            raise
        profile = user.get("profile") or {}
        person = Person(
            facts=PersonFacts(user_id, is_bot=bool(user.get("is_bot")), deleted=bool(user.get("deleted"))),
            name=profile.get("real_name") or user.get("real_name") or user.get("name") or user_id,
            title=profile.get("title") or "",
            tz=user.get("tz") or "UTC",
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            locale=user.get("locale") or "en-US",
            email=profile.get("email") or "",
            avatar=profile.get("image_72") or "",
        )
        with self._lock:
            self._cache[user_id] = (now, person)
        return person

    def locale(self, user_id: str | None, client: WebClient | None = None, within: float = 0.25) -> str:
        """Our locale for what `user_id` reads. A person not known yet is looked up for at most
        `within` seconds: a modal shares Slack's 3 seconds with it, and a slow Slack must not
        cost the form (English this once; the lookup still fills the cache for next time).
        Leave `client` out in listeners: ours is paced by Slack's limits, Bolt's is not."""
        if not user_id:
            return locale_of(None)
        person = self.cached(user_id)
        if person is None:
            lookup = _lookups.submit(self.get, user_id, client)
            try:
                person = lookup.result(timeout=within)
            except (TimeoutError, SlackApiError):
                person = None
        return locale_of(person)

    def get_many(self, user_ids: list[str], client: WebClient | None = None) -> dict[str, Person]:
        """Look several people up at once (in parallel: Slack has no batch users.info)."""
        unique = list(dict.fromkeys(user_ids))
        if len(unique) <= 1:
            return {u: self.get(u, client) for u in unique}
        with ThreadPoolExecutor(max_workers=min(8, len(unique))) as pool:
            return dict(zip(unique, pool.map(lambda u: self.get(u, client), unique), strict=True))


class UserGroups:
    """Slack user groups' members by handle ("legal"), from one usergroups.list call cached for
    a few minutes: a burst of cases with the same trigger asks Slack once (it is a tier-2 method)."""

    def __init__(self, client: WebClient, ttl_seconds: float = 300.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._members: dict[str, list[str]] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def members(self, handle: str, client: WebClient | None = None) -> list[str] | None:
        """The group's members, or None if the workspace has no group with that handle; `client`:
        another client to ask with (a quick one, before Slack's 3 seconds are up)."""
        with self._lock:
            if self._read_at is None or time.monotonic() - self._read_at >= self._ttl:
                groups = (client or self._client).usergroups_list(include_users=True)["usergroups"]
                self._members = {
                    g["handle"]: list(g.get("users") or []) for g in groups if not g.get("date_delete")
                }
                self._read_at = time.monotonic()
            return self._members.get(handle.removeprefix("@"))
