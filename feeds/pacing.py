"""Waits between requests: Retry-After, exponential backoff with jitter, and a per-host pacer."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Callable, Protocol



def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (delta-seconds or an HTTP date) as seconds from `now`; None if absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class BackoffSettings(Protocol):
    """What backoff reads of feeds.http_settings.HttpSettings (named here so pacing does not import http)."""

    backoff_seconds: float
    backoff_max_seconds: float


def backoff_seconds(attempt: int, settings: BackoffSettings, rng: random.Random) -> float:
    """Wait before retry `attempt` (1-based): exponential, with "equal jitter" so waits still grow."""
    ceiling = min(settings.backoff_max_seconds, settings.backoff_seconds * 2 ** (attempt - 1))
    return ceiling * (0.5 + rng.random() / 2)


class Pacer:
    """Spaces the starts of requests to each host by a minimum interval.

    One pacer serves the whole process by default, because flows open a feed (and so a client)
    per day: pacing kept in a client would let a backfill hit the host as fast as it can.
    """

    def __init__(self, sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic):
        self._sleep, self._monotonic = sleep, monotonic
        self._next_start_by_host: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, host: str, interval_seconds: float) -> None:
        if interval_seconds <= 0:
            return
        with self._lock:  # reserve a slot, then sleep outside the lock so other hosts are not held up
            now = self._monotonic()
            start = max(now, self._next_start_by_host.get(host, now))
            self._next_start_by_host[host] = start + interval_seconds
        if start > now:
            self._sleep(start - now)


PROCESS_PACER = Pacer()
