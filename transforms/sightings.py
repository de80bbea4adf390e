"""Parsed rows of many snapshots -> sightings: one row per (paper, feed, snapshot)."""

from __future__ import annotations

import polars as pl

from lake.schemas import SIGHTINGS
from transforms.identity import with_paper_id, with_title_key


def to_sightings(parsed: pl.DataFrame) -> pl.DataFrame:
    """`parsed` holds parser rows plus snapshot_id, feed and snapshot_date.

    A paper listed twice on one page keeps its best (lowest) rank.
    """
    missing = [pl.lit(None, dtype=c.dtype).alias(c.name) for c in SIGHTINGS.columns if c.name not in parsed.columns]
    complete = parsed.with_columns(missing)
    keyed = with_paper_id(with_title_key(complete))
    deduped = keyed.sort("snapshot_id", "rank").unique(subset=list(SIGHTINGS.key), keep="first", maintain_order=True)
    return SIGHTINGS.conform(deduped)
