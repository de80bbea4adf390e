"""What feeds produce and parsers return: the bottom of feeds/ (it imports no feed module).

A feed turns "a day" or "a file" into raw `Payload`s, and each payload format has a pure parser:
bytes in, a `ParseResult` out, never an exception for bad input. Parse problems are data
(`ParseIssue`), so the rows that could be read are kept and the raw payload is stored whatever
the parser thought of it. `PayloadFormat` is one row of the format registry (feeds.formats).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Callable, Protocol

import polars as pl

from lake.schemas import SIGHTINGS

# What a parser yields per row: the sighting columns the payload itself can know.
# snapshot_id, feed and snapshot_date come from the Payload; paper_id and title_key are derived.
_DERIVED = {"snapshot_id", "paper_id", "feed", "snapshot_date", "title_key"}
PARSED_SCHEMA = pl.Schema({c.name: c.dtype for c in SIGHTINGS.columns if c.name not in _DERIVED})


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Payload:
    """One raw snapshot exactly as it was read or fetched."""

    feed: str
    source: str
    format: str
    content: bytes
    snapshot_date: date
    fetched_at: datetime

    @cached_property
    def snapshot_id(self) -> str:
        # Cached: a load asks for it a dozen times, and hashing a year of pages each time cost 0.5 s.
        return content_hash(self.content)


@dataclass(frozen=True)
class ParseIssue:
    """Something a parser could not read, located precisely enough to go and look."""

    source: str
    rule: str
    message: str
    line: int | None = None
    # The row's own text (a page line, a listing item as JSON, an Atom entry), set only when the
    # parser dropped a row: such an issue is a row reject and goes to the quarantine; an issue
    # without text is about the payload as a whole (empty, not a page copy) or a field read as null.
    text: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message} [{self.rule}]"


@dataclass
class ParseResult:
    rows: pl.DataFrame
    issues: list[ParseIssue] = field(default_factory=list)
    # Every row the parser dropped, each with its text. `issues` may list only the first few (a
    # text page bounds its list); the quarantine needs them all, so rows in = kept + quarantined.
    rejects: list[ParseIssue] | None = None
    row_count: int | None = field(default=None, repr=False, compare=False)  # rows kept; set from `rows`

    def __post_init__(self) -> None:
        if self.rejects is None:
            self.rejects = [issue for issue in self.issues if issue.text is not None]
        if self.row_count is None:
            self.row_count = self.rows.height

    @property
    def status(self) -> str:
        if not self.issues:
            return "ok"
        return "partial" if self.row_count else "failed"

    def without_rows(self) -> ParseResult:
        """The outcome once its rows became sightings: status, issues and rejects kept, the rows let go
        (a year of page copies parses to about 50 MB of rows the rest of a load never reads again)."""
        return ParseResult(self.rows.clear(), self.issues, self.rejects, self.row_count)


# A rejected row's text is kept whole up to this size: enough for any real line or item, and a
# hostile megabyte line still makes a quarantine row of reasonable size.
MAX_REJECT_TEXT_CHARS = 20_000


def reject_text(text: str) -> str:
    if len(text) <= MAX_REJECT_TEXT_CHARS:
        return text
    return f"{text[:MAX_REJECT_TEXT_CHARS]}... [{len(text):,} characters, cut]"


def rejected(issues: list[ParseIssue], text: str) -> list[ParseIssue]:
    """A dropped row's issues, the last one (the one that dropped it) carrying the row's text."""
    if not issues:
        return issues
    return issues[:-1] + [replace(issues[-1], text=reject_text(text))]


def parsed_frame(records: list[dict]) -> pl.DataFrame:
    """Rows from a parser, typed by PARSED_SCHEMA (absent fields become null)."""
    return pl.DataFrame(records, schema=PARSED_SCHEMA)


class PayloadParser(Protocol):
    def __call__(self, content: bytes, source: str) -> ParseResult: ...


@dataclass(frozen=True)
class PayloadFormat:
    """A payload format: its parser, how to recognize a saved file of it, and which feed such a file belongs to."""

    name: str
    parse: PayloadParser
    # True if a saved file's first bytes (BOM and leading whitespace removed) are this format.
    detect: Callable[[bytes], bool]
    # The live feed whose saved answers these are (None: files a person saved, filed under `archive`).
    saved_feed: str | None = None
    # Saved bytes -> the bytes the live fetch of the same answer stores (None: kept as read).
    canonical: Callable[[bytes], bytes] | None = None
