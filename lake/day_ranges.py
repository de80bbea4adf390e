"""Sets of days said as a few closed ranges, for the reads and MERGEs that file statistics narrow.

A single lower bound (every day from the earliest on) made one paper first seen years ago widen a
load's reads to every file since: a MERGE of `papers` read 3.5 GB on a ten-year lake for a batch
listing one day of 2022 beside two months of 2025. Ranges around the days themselves keep the files
read to those that can hold them, however old the days are.

None stands for "no bound" (every file is read); an empty tuple for "no day" (nothing can match).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable

import polars as pl

DayRanges = tuple[tuple[date, date], ...]

# Days this close are one range: a data file spans days, so a short gap skips no file, and fewer
# ranges make a shorter predicate. The cap bounds the predicate however scattered the days are
# (the closest ranges are joined first, so the days covered grow the least).
JOIN_GAP_DAYS = 7
MAX_RANGE_COUNT = 32


def day_ranges(spans: pl.DataFrame, join_gap_days: int = JOIN_GAP_DAYS, max_count: int = MAX_RANGE_COUNT) -> DayRanges:
    """The closed ranges covering every span (columns start_date, end_date; rows with a null skipped)."""
    spans = spans.select("start_date", "end_date").drop_nulls().sort("start_date")
    if spans.is_empty():
        return ()
    reach = pl.col("end_date").cum_max().shift(1)
    joined = (
        spans.with_columns(_range=(pl.col("start_date") > reach + timedelta(days=join_gap_days)).fill_null(True).cum_sum())
        .group_by("_range").agg(pl.col("start_date").min(), pl.col("end_date").max()).sort("start_date")
    )
    ranges = list(joined.select("start_date", "end_date").iter_rows())
    if len(ranges) > max_count:
        gaps = sorted(range(1, len(ranges)), key=lambda i: (ranges[i][0] - ranges[i - 1][1], i))
        kept_gaps = set(gaps[len(ranges) - max_count:])
        capped = [ranges[0]]
        for i in range(1, len(ranges)):
            if i in kept_gaps:
                capped.append(ranges[i])
            else:
                capped[-1] = (capped[-1][0], ranges[i][1])
        ranges = capped
    return tuple(ranges)


def of_days(days: Iterable[date | None]) -> DayRanges:
    days = pl.Series("start_date", list(days), dtype=pl.Date)
    return day_ranges(pl.DataFrame([days, days.alias("end_date")]))


def joined(*parts: DayRanges | None) -> DayRanges | None:
    """The ranges covering all of `parts`; None (no bound) if any part is unbounded."""
    if any(part is None for part in parts):
        return None
    starts, ends = zip(*[r for part in parts for r in part]) if any(parts) else ((), ())
    return day_ranges(pl.DataFrame({"start_date": list(starts), "end_date": list(ends)}, schema={"start_date": pl.Date, "end_date": pl.Date}))


def within(column: str, ranges: DayRanges) -> pl.Expr:
    """`column` in one of the ranges, as Polars pushes it down to file and row-group statistics."""
    if not ranges:
        return pl.lit(False)
    return pl.any_horizontal([pl.col(column).is_between(start, end) for start, end in ranges])


def sql_within(column: str, ranges: DayRanges) -> str:
    """The same as a delta-rs predicate (MERGE, DELETE): it skips the files whose statistics miss every range."""
    if not ranges:
        return "FALSE"
    return "(" + " OR ".join(f"({column} >= '{start.isoformat()}' AND {column} <= '{end.isoformat()}')" for start, end in ranges) + ")"
