"""What a GET of feeds/http.py gives: a Response read in full, or a FetchError naming feed, date, URL
and HTTP status. Both show only redacted text (feeds/redact.py): never the API token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import httpx

from feeds.redact import redact

EXCERPT_CHARS = 160


class FetchError(Exception):
    """A feed-day could not be fetched; the message names feed, date, URL and HTTP status."""

    def __init__(self, feed: str, day: date, url: str, reason: str, status_code: int | None = None):
        self.feed, self.day, self.url, self.reason, self.status_code = feed, day, redact(url), redact(reason), status_code
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"HTTP {self.status_code}" if self.status_code is not None else "no HTTP status"
        return f"{self.feed} {self.day.isoformat()}: {self.reason} ({status}) GET {self.url}"

    def __reduce__(self):
        # Prefect may pickle a task's exception; the default reduce would call __init__ with one arg.
        return FetchError, (self.feed, self.day, self.url, self.reason, self.status_code)


@dataclass(frozen=True)
class Response:
    """A response read in full (within the size cap)."""

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes

    def excerpt(self) -> str:
        return body_excerpt(self.content)


def body_excerpt(content: bytes) -> str:
    text = redact(" ".join(content[: EXCERPT_CHARS * 8].decode("utf-8", errors="replace").split()))
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
