"""Our share of Slack's rate limits, kept before Slack has to refuse us.

Slack limits each method per workspace by tier (Tier 2: 20+ calls a minute,
Tier 3: 50+, Tier 4: 100+) and chat.postMessage to about one message a second
per channel. The pacer keeps a token bucket per method (per channel for
chat.postMessage), refilled a little slower than Slack's rate, so a burst of
cases is spread out by us rather than refused by Slack. A 429 that comes all
the same holds the method for its Retry-After, for every thread at once.

The work queue `reserve`s a call before it hands out work (no thread waits for
a token); other callers `wait_turn`, which waits at most briefly in a queue
worker (longer waits give the work back to the queue: `Paced`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# The tiers of the methods we call (Slack's per-method reference); the rest are Tier 4 or special.
TIERS: dict[str, int] = {
    "conversations.create": 2,
    "conversations.setTopic": 2,
    "conversations.setPurpose": 2,
    "conversations.list": 2,
    "conversations.archive": 2,
    "conversations.unarchive": 2,
    "pins.add": 2,
    "bookmarks.add": 2,
    "conversations.canvases.create": 2,
    "usergroups.list": 2,
    "canvases.edit": 3,
    "canvases.sections.lookup": 3,
    "chat.unfurl": 3,
    "functions.completeSuccess": 3,
    "functions.completeError": 3,
    "conversations.invite": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.open": 3,
    "conversations.join": 3,
    "conversations.kick": 3,
    "chat.update": 3,
    "bookmarks.list": 3,
    "users.lookupByEmail": 3,
    "users.info": 4,
    "views.publish": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "chat.postEphemeral": 4,
    "conversations.members": 4,
    "assistant.threads.setSuggestedPrompts": 4,
    "assistant.threads.setTitle": 4,
}
PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
POST_MESSAGE = "chat.postMessage"
POST_MESSAGE_PER_SECOND = 1.0
# Below Slack's rate, so clocks that disagree a little never cost a 429.
MARGIN = 0.95
# How long a queue worker may wait for a token before giving its work back.
MAX_INLINE_WAIT = 1.0


class Paced(Exception):
    """Raised in a queue worker when a call would wait too long: run the work again later."""

    def __init__(self, method: str, wait: float) -> None:
        super().__init__(f"{method} is paced for {wait:.1f}s")
        self.method = method
        self.wait = wait


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    at: float
    held_until: float = 0.0

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def ready_in(self, now: float) -> float:
        self.refill(now)
        wait = 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate
        return max(wait, self.held_until - now)


class Pacer:
    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self.held = 0  # 429s seen

    def _bucket(self, method: str, channel: str | None, now: float) -> _Bucket | None:
        if method == POST_MESSAGE:
            key, rate, capacity = (method, channel or ""), POST_MESSAGE_PER_SECOND, 2.0
        elif method in TIERS:
            per_minute = PER_MINUTE[TIERS[method]]
            key, rate, capacity = (method, ""), per_minute / 60, max(1.0, per_minute / 10 - 1)
        else:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            rate *= self.factor * MARGIN
            bucket = self._buckets[key] = _Bucket(rate, capacity, capacity, now)
        return bucket

    def reserve(self, method: str | None, channel: str | None = None) -> float:
        """Seconds until `method` may be called; 0 means now (and the call is counted)."""
        if method is None:
            return 0.0
        now = time.monotonic()
        with self._lock:
            bucket = self._bucket(method, channel, now)
            if bucket is None:
                return 0.0
            wait = bucket.ready_in(now)
            if wait <= 0:
                bucket.tokens -= 1
            return wait

    def seconds_for(self, method: str, calls: int) -> float:
        """About how long `calls` more calls of `method` will take at our pace (nothing is counted)."""
        now = time.monotonic()
        with self._lock:
            bucket = self._bucket(method, None, now)
            if bucket is None:
                return 0.0
            bucket.refill(now)
            return max(0.0, (calls - bucket.tokens) / bucket.rate) + max(0.0, bucket.held_until - now)

    def hold(self, method: str, seconds: float, channel: str | None = None) -> None:
        """Slack said 429: nobody calls `method` for `seconds`."""
        now = time.monotonic()
        with self._lock:
            self.held += 1
            bucket = self._bucket(method, channel, now)
            if bucket is not None:
                bucket.held_until = max(bucket.held_until, now + seconds)
                bucket.tokens = min(bucket.tokens, 0.0)

    # -- calls made by the client ---------------------------------------------

    @contextmanager
    def prepaid(self, method: str | None, channel: str | None = None) -> Iterator[None]:
        """Run work whose first call of `method` was counted when the queue handed it out."""
        self._local.prepaid = (method, channel or "")
        self._local.in_queue = True
        try:
            yield
        finally:
            self._local.prepaid = None
            self._local.in_queue = False

    @contextmanager
    def patient(self) -> Iterator[None]:
        """Work that waits its turn in its thread rather than being given back (a reminder's
        steps: re-running half a delivery is worse than a short wait)."""
        before = getattr(self._local, "in_queue", False)
        self._local.in_queue = False
        try:
            yield
        finally:
            self._local.in_queue = before

    def in_queue_worker(self) -> bool:
        return bool(getattr(self._local, "in_queue", False))

    def wait_turn(self, method: str, channel: str | None = None) -> None:
        """Wait until `method` may be called (a queue worker gives its work back rather than wait long)."""
        if getattr(self._local, "prepaid", None) == (method, channel or ""):
            self._local.prepaid = None
            return
        while (wait := self.reserve(method, channel)) > 0:
            if self.in_queue_worker() and wait > MAX_INLINE_WAIT:
                raise Paced(method, wait)
            time.sleep(min(wait, 5.0))
