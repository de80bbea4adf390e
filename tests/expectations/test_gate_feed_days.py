"""One Great Expectations pass for a multi-day load decides each feed-day as its own pass would."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from expectations.gate import FeedDayBatch, gate_batch, gate_feed_days

from .conftest import FEED, NOW, RUN_ID, SNAPSHOT_DATE, TODAY, fixture_rows, sightings

NEXT_DATE = SNAPSHOT_DATE + timedelta(days=1)


def _day(records: list[dict], day: date) -> pl.DataFrame:
    batch = sightings(records, snapshot_date=day)
    return batch.with_columns(pl.lit(f"{day:%Y%m%d}".ljust(64, "0")).alias("snapshot_id"))


def _one_by_one(batch: pl.DataFrame, days: list[FeedDayBatch]) -> list:
    return [
        gate_batch(
            "sightings", batch.filter((pl.col("feed") == d.feed) & (pl.col("snapshot_date") == d.snapshot_date)),
            feed=d.feed, snapshot_date=d.snapshot_date, run_id=RUN_ID, today=TODAY, quarantined_at=NOW,
            recent_row_counts=d.recent_row_counts, expected_nonempty=d.expected_nonempty,
        )
        for d in days
    ]


def test_each_feed_day_gets_the_decision_of_its_own_pass():
    clean, held, duplicated = fixture_rows("clean_rows.json"), fixture_rows("json_null_title.json"), fixture_rows("duplicate_keys.json")
    batch = pl.concat([_day(clean, SNAPSHOT_DATE), _day(held, NEXT_DATE), _day(duplicated, NEXT_DATE + timedelta(days=1))])
    days = [FeedDayBatch(FEED, SNAPSHOT_DATE + timedelta(days=n), expected_nonempty=True) for n in range(3)]
    days.append(FeedDayBatch(FEED, NEXT_DATE + timedelta(days=5), expected_nonempty=True))  # declared data, no rows

    together = gate_feed_days("sightings", batch, days, run_id=RUN_ID, today=TODAY, quarantined_at=NOW)

    for mine, alone in zip(together, _one_by_one(batch, days), strict=True):
        assert (mine.feed, mine.snapshot_date) == (alone.feed, alone.snapshot_date)
        assert mine.clean.equals(alone.clean)
        assert mine.quarantined.equals(alone.quarantined)
        assert [f.message for f in mine.batch_failures] == [f.message for f in alone.batch_failures]
        assert mine.rule_counts == alone.rule_counts
    assert [r.passed for r in together] == [True, True, False, False]
    assert [r.summary["rejected_by"] for r in together][2:] == [["duplicate_key"], ["empty_batch"]]


def test_the_load_is_one_data_docs_page():
    batch = pl.concat([_day(fixture_rows("clean_rows.json"), day) for day in (SNAPSHOT_DATE, NEXT_DATE)])
    days = [FeedDayBatch(FEED, SNAPSHOT_DATE), FeedDayBatch(FEED, NEXT_DATE)]

    first, second = gate_feed_days("sightings", batch, days, run_id=RUN_ID, today=TODAY, quarantined_at=NOW)

    assert first.validation is not None and second.validation is None
    assert first.clean.height + second.clean.height == batch.height
