"""How the live feeds' HTTP behaves (feeds/http.py): timeouts, attempts, backoff, caps, budgets, the token;
and the $PAPERLAKE_HTTP_* knobs a deployment turns without code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping


@dataclass(frozen=True)
class HttpSettings:
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0
    max_attempts: int = 5
    # Retry n waits about backoff_seconds * 2**(n-1), jittered, at most backoff_max_seconds.
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 60.0
    # A server asking for a longer pause gets this much; the attempt budget still bounds the total.
    retry_after_max_seconds: float = 120.0
    max_response_bytes: int = 20 * 1024 * 1024
    # A whole answer, headers to last byte; a real one takes seconds, so this only stops a drip.
    request_deadline_seconds: float = 300.0
    # Every page, attempt and retry pause of one feed-day together; then the day fails, others carry on.
    feed_day_budget_seconds: float = 1800.0
    # Politeness floor between the starts of two requests (arXiv asks for 3 s).
    min_interval_seconds: float = 0.0
    token: str | None = field(default=None, repr=False)


# Knobs a deployment (or an offline demo against the replay server) may turn without code.
SETTINGS_ENV = {
    "PAPERLAKE_HTTP_CONNECT_TIMEOUT_SECONDS": ("connect_timeout_seconds", float),
    "PAPERLAKE_HTTP_READ_TIMEOUT_SECONDS": ("read_timeout_seconds", float),
    "PAPERLAKE_HTTP_MAX_ATTEMPTS": ("max_attempts", int),
    "PAPERLAKE_HTTP_BACKOFF_SECONDS": ("backoff_seconds", float),
    "PAPERLAKE_HTTP_RETRY_AFTER_MAX_SECONDS": ("retry_after_max_seconds", float),
    "PAPERLAKE_HTTP_MAX_RESPONSE_BYTES": ("max_response_bytes", int),
    "PAPERLAKE_HTTP_REQUEST_DEADLINE_SECONDS": ("request_deadline_seconds", float),
    "PAPERLAKE_HTTP_FEED_DAY_BUDGET_SECONDS": ("feed_day_budget_seconds", float),
}


def settings_from_env(environ: Mapping[str, str], base: HttpSettings = HttpSettings()) -> HttpSettings:
    """`base` with whatever $PAPERLAKE_HTTP_* variables are set; called only from the feeds' from_env()."""
    changes = {}
    for name, (attribute, kind) in SETTINGS_ENV.items():
        raw = environ.get(name, "").strip()
        if raw:
            changes[attribute] = _env_number(name, raw, kind)
    return replace(base, **changes)


def _env_number(name: str, raw: str, kind: type) -> float | int:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"${name} must be {'an integer' if kind is int else 'a number'}, not {raw!r}") from None
