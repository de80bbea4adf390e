"""Batch rules that need no Great Expectations: shape, emptiness, volume."""

from __future__ import annotations

import polars as pl
import pytest

from expectations.batch_checks import empty_problem, schema_problem, volume_problem
from lake.schemas import PAPERS, SIGHTINGS


@pytest.mark.parametrize(
    "row_count, history, flagged",
    [
        (9, [50] * 14, True),  # under a fifth of the median
        (10, [50] * 14, False),  # exactly a fifth is still a quiet day, not a collapse
        (0, [50] * 14, True),
        (3, [50, 50], False),  # two days of history say nothing yet
        (3, [50, 50, 50], True),
        (3, None, False),
        (3, [], False),
        # Only the last 14 days count: an old busy month does not make today look collapsed.
        (12, [500] * 30 + [50] * 14, False),
        # The median, not the mean: one huge day does not raise the bar.
        (12, [50] * 13 + [100_000], False),
        # A median of a few rows: one row is a quiet day, not a collapse.
        (1, [6, 3, 8, 6, 7], False),
        (1, [10, 10, 10], True),
    ],
)
def test_volume_rule_flags_a_day_under_a_fifth_of_the_recent_median(row_count, history, flagged):
    assert (volume_problem(row_count, history) is not None) is flagged


def test_volume_problem_says_the_count_and_the_median():
    assert volume_problem(4, [20, 30, 40]) == "4 rows, under 20% of the median 30 of the feed's last 3 days"


def test_empty_is_a_problem_only_when_the_feed_said_it_had_data():
    assert empty_problem(0, expected_nonempty=True)
    assert empty_problem(0, expected_nonempty=False) is None
    assert empty_problem(5, expected_nonempty=True) is None


def test_schema_problem_lists_missing_extra_and_mistyped_columns_together():
    batch = PAPERS.empty_frame().drop("feeds").with_columns(pl.col("days_seen").cast(pl.Int64), pl.lit("x").alias("note"))

    assert schema_problem(PAPERS, batch) == (
        "missing columns ['feeds']; unexpected columns ['note']; wrong types: days_seen is Int64, expected Int32"
    )


def test_schema_problem_accepts_the_declared_schema_in_any_column_order():
    assert schema_problem(SIGHTINGS, SIGHTINGS.empty_frame()) is None
    assert schema_problem(SIGHTINGS, SIGHTINGS.empty_frame().select(reversed(SIGHTINGS.column_names))) is None
