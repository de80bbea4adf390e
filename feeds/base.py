"""The contract every feed keeps.

A feed turns "a day" or "a file" into raw `Payload`s (I/O lives here and only here), and each
payload format has a pure parser: bytes in, a `ParseResult` out, never an exception for bad
input. Parse problems are data (`ParseIssue`), so the rows that could be read are kept and the
raw payload is stored whatever the parser thought of it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
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

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message} [{self.rule}]"


@dataclass
class ParseResult:
    rows: pl.DataFrame
    issues: list[ParseIssue] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.issues:
            return "ok"
        return "partial" if self.rows.height else "failed"


def parsed_frame(records: list[dict]) -> pl.DataFrame:
    """Rows from a parser, typed by PARSED_SCHEMA (absent fields become null)."""
    return pl.DataFrame(records, schema=PARSED_SCHEMA)


class PayloadParser(Protocol):
    def __call__(self, content: bytes, source: str) -> ParseResult: ...


class Feed(Protocol):
    """A live feed: fetch one day's raw payloads; parsing goes through its format's parser."""

    name: str

    def fetch(self, day: date) -> list[Payload]: ...


def parser_for(format: str) -> Callable[[bytes, str], ParseResult]:
    """The parser registered for a payload format."""
    from feeds import formats

    try:
        return formats.PARSERS[format]
    except KeyError:
        raise ValueError(f"no parser for payload format {format!r}; known: {sorted(formats.PARSERS)}") from None


def parse_payload(payload: Payload) -> ParseResult:
    return parser_for(payload.format)(payload.content, payload.source)


def payload_frame(payloads: list[Payload]) -> pl.DataFrame:
    """Payloads as rows of the `snapshots` table, not parsed yet."""
    return pl.DataFrame(
        {
            "snapshot_id": [p.snapshot_id for p in payloads],
            "feed": [p.feed for p in payloads],
            "snapshot_date": [p.snapshot_date for p in payloads],
            "source": [p.source for p in payloads],
            "format": [p.format for p in payloads],
            "fetched_at": [p.fetched_at for p in payloads],
            "byte_count": [len(p.content) for p in payloads],
            "content": [p.content for p in payloads],
            "parse_status": ["pending"] * len(payloads),
        },
        schema_overrides={"snapshot_date": pl.Date, "content": pl.Binary},
    )


def payloads_from_frame(snapshots: pl.DataFrame) -> list[Payload]:
    """Stored `snapshots` rows back into Payloads, to parse them again."""
    return [
        Payload(row["feed"], row["source"], row["format"], row["content"], row["snapshot_date"], row["fetched_at"])
        for row in snapshots.select("feed", "source", "format", "content", "snapshot_date", "fetched_at").iter_rows(named=True)
    ]
