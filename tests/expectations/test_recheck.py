"""Re-checking what is past the gate: a whole table in the lake, quarantined rows after a fix."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from expectations.recheck import recheck_quarantined, validate_table

from .conftest import NOW, TODAY, fixture_rows, gate, sightings


def test_validate_table_rechecks_a_whole_table_in_one_pass():
    rows = fixture_rows("clean_rows.json")
    rows[2]["arxiv_id"] = "2309.16588v1"
    frame = sightings(rows)

    result = validate_table("sightings", frame, today=TODAY, checked_at=NOW)

    assert result.summary["failed_rules"] == {"arxiv_id_format": 1, "paper_id_format": 1}
    assert result.quarantined["feed"].to_list() == ["lake"]


def test_quarantined_rows_that_now_pass_are_released_and_the_rest_stay():
    # Dates a day ahead of the clock (a timezone slip) are held; a day later they are legal.
    rows = fixture_rows("clean_rows.json")
    tomorrow = TODAY + timedelta(days=1)
    batch = sightings(rows, snapshot_date=tomorrow).with_columns(
        pl.when(pl.col("rank") == 5).then(pl.lit("Subscribe")).otherwise(pl.col("title")).alias("title")
    )
    held = gate("sightings", batch, snapshot_date=tomorrow).quarantined
    assert held.height == 5

    recheck = recheck_quarantined(held, today=tomorrow, run_id="run-0002", checked_at=held["quarantined_at"][0])

    assert recheck.released["sightings"].equals(batch.filter(pl.col("rank") < 5))
    assert sorted(recheck.released_ids) == sorted(held["quarantine_id"][:4])
    [still] = recheck.still_quarantined.to_dicts()
    assert still["quarantine_id"] == held["quarantine_id"][4]  # same row, same entry
    assert still["rule"] == "title_boilerplate" and still["run_id"] == "run-0002"


def test_a_quarantined_group_that_breaks_a_batch_rule_stays_whole():
    # The same paper held by two runs at two ranks: released together they would share a key.
    tomorrow = TODAY + timedelta(days=1)
    row = fixture_rows("clean_rows.json")[0]
    held = pl.concat(
        gate("sightings", sightings([row | {"rank": rank}], snapshot_date=tomorrow), snapshot_date=tomorrow).quarantined
        for rank in (1, 2)
    )
    assert held.height == 2 and held["quarantine_id"].n_unique() == 2

    recheck = recheck_quarantined(held, today=tomorrow, run_id=None, checked_at=NOW)

    assert recheck.released == {} and recheck.released_ids == []
    assert recheck.still_quarantined.equals(held)
    assert [f.rule for r in recheck.results for f in r.batch_failures] == ["duplicate_key"]
