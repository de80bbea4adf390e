"""Batch-level rules that need no Great Expectations: the batch's shape, emptiness and volume.

Each returns a detail sentence when the rule is broken, else None; the gate names the feed, the
date and the rule around it.
"""

from __future__ import annotations

from statistics import median

import polars as pl

from lake.table_spec import TableSpec

# A feed-day is compared with that feed's recent days: fewer than a fifth of the median of the
# last 14 means the source broke (a changed page, an API answering with one item), not a quiet day.
VOLUME_WINDOW_DAYS = 14
VOLUME_FLOOR_FRACTION = 0.2
# With less history than this the median says nothing yet.
VOLUME_MIN_HISTORY_DAYS = 3
# Below this median a fifth of it is a row or two, which a quiet day reaches by chance (a Hugging Face
# weekend of 6, 3, 8 papers, then 1): too few rows to tell a broken source from a quiet one.
VOLUME_MIN_MEDIAN_ROWS = 10


def schema_problem(spec: TableSpec, batch: pl.DataFrame) -> str | None:
    """Columns missing, unexpected or of the wrong type against lake/schemas.py."""
    expected = spec.polars_schema
    missing = [c for c in expected if c not in batch.schema]
    extra = [c for c in batch.schema if c not in expected]
    wrong = [
        f"{c} is {batch.schema[c]}, expected {expected[c]}"
        for c in expected
        if c in batch.schema and batch.schema[c] != expected[c]
    ]
    parts = []
    if missing:
        parts.append(f"missing columns {missing}")
    if extra:
        parts.append(f"unexpected columns {extra}")
    if wrong:
        parts.append("wrong types: " + "; ".join(wrong))
    return "; ".join(parts) or None


def empty_problem(row_count: int, expected_nonempty: bool) -> str | None:
    if expected_nonempty and row_count == 0:
        return "the batch is empty but the feed said it had data"
    return None


def volume_problem(row_count: int, recent_row_counts: list[int] | None) -> str | None:
    """Flag a feed-day far below the median of the feed's last VOLUME_WINDOW_DAYS days.

    `recent_row_counts` are the row counts of the feed's previous days, oldest first; days the
    feed legitimately has nothing (arXiv at weekends) should not be in it.
    """
    history = list(recent_row_counts or [])[-VOLUME_WINDOW_DAYS:]
    if len(history) < VOLUME_MIN_HISTORY_DAYS:
        return None
    typical = median(history)
    floor = typical * VOLUME_FLOOR_FRACTION
    if typical >= VOLUME_MIN_MEDIAN_ROWS and row_count < floor:
        return (
            f"{row_count} rows, under {VOLUME_FLOOR_FRACTION:.0%} of the median {typical:g} "
            f"of the feed's last {len(history)} days"
        )
    return None
