"""Slack's published rate limits, enforced per method (and per channel for chat.postMessage).

Tier 2 is "20+ per minute", Tier 3 "50+", Tier 4 "100+"; chat.postMessage is
"special": about one message per second per channel, short bursts allowed.
Slack allows occasional bursts; we model each limit as a token bucket that
refills at the tier's rate and holds a tenth of a minute's calls, so sixty
conversations.create take about three minutes, as they do against Slack.
A call over the limit is answered 429 with a whole-second Retry-After.

`factor` speeds every limit up (tests run at 10-50x; benchmarks at 1x).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from slack_standin.reference import TIERS

PER_MINUTE = {"t1": 1, "t2": 20, "t3": 50, "t4": 100}
POST_MESSAGE_PER_SECOND = 1.0
POST_MESSAGE_BURST = 3.0


@dataclass
class _Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """Take a token; 0 if taken, else the seconds until one will be there."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimits:
    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.limited = 0  # 429s answered
        self.limited_by_method: dict[str, int] = {}

    def _limit(self, method: str) -> tuple[float, float] | None:
        """(calls per second, burst) for a method, or None if Slack hardly limits it."""
        if method == "chat.postMessage":
            return POST_MESSAGE_PER_SECOND * self.factor, POST_MESSAGE_BURST
        per_minute = PER_MINUTE.get(TIERS.get(method, "t5"))
        if per_minute is None:
            return None
        return per_minute * self.factor / 60, max(1.0, per_minute / 10)

    def check(self, method: str, args: dict[str, Any]) -> int | None:
        """None if the call may go ahead (it is counted), else the Retry-After to answer."""
        limit = self._limit(method)
        if limit is None:
            return None
        rate, burst = limit
        key = (method, str(args.get("channel") or "") if method == "chat.postMessage" else "")
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(rate, burst, burst, now))
            wait = bucket.take(now)
            if wait == 0:
                return None
            self.limited += 1
            self.limited_by_method[method] = self.limited_by_method.get(method, 0) + 1
        return max(1, math.ceil(wait))
