"""The contract every feed keeps, as the rest of paperlake uses it.

The pieces live below this module so feeds/ has no import cycle:

    feeds.payload, feeds.settling   the types (Payload, ParseResult, PayloadFormat, Settling): import no feed
        ▲
    feeds.hf_daily, feeds.arxiv, feeds.text_page   one module per feed: fetch (I/O) and a pure parser
        ▲
    feeds.formats    the one registry of payload formats: name -> parser, detector, feed of saved files
        ▲
    feeds.base (here), feeds.archive, feeds.registry, flows/

A feed module imports `feeds.payload`, never this module; everything above the feeds imports this one.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import polars as pl

from feeds.formats import parse_payload, parser_for  # noqa: F401  (the registry's lookups, re-exported)
from feeds.payload import (  # noqa: F401  (re-exported: the contract's types)
    PARSED_SCHEMA,
    Payload,
    PayloadFormat,
    PayloadParser,
    ParseIssue,
    ParseResult,
    content_hash,
    parsed_frame,
)
from feeds.settling import Settling  # noqa: F401


class Feed(Protocol):
    """A live feed: fetch one day's raw payloads; parsing goes through its format's parser."""

    name: str
    settling: Settling

    def fetch(self, day: date) -> list[Payload]: ...


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
