"""The gate as a whole: clean batches pass untouched, bad rows are held, bad batches are rejected."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from expectations.gate_result import BatchRejected
from expectations.quarantine import rows_from_json
from lake.schemas import QUARANTINE, SIGHTINGS

from .conftest import CLEAN_BATCHES, FEED, assert_accounted, fixture_rows, gate, papers, sightings


@pytest.mark.parametrize("table", sorted(CLEAN_BATCHES))
def test_a_clean_batch_passes_untouched(table):
    batch = CLEAN_BATCHES[table]()

    result = gate(table, batch)

    assert result.passed
    assert result.clean.equals(batch)
    assert result.quarantined.height == 0
    assert result.quarantined.schema == QUARANTINE.polars_schema
    assert set(result.rule_counts.values()) == {0}
    assert result.validation is not None and result.validation.success


def test_a_json_item_with_a_null_title_is_quarantined():
    batch = sightings(fixture_rows("json_null_title.json"))

    result = gate("sightings", batch)

    assert_accounted(result)
    assert result.clean["rank"].to_list() == [1, 3]
    [held] = result.quarantined.to_dicts()
    # A null title leaves no title key either; the row names both, the first in the suite's order.
    assert held["rule"] == "title_not_null"
    assert "broke title_not_null, title_key_not_null:" in held["reason"]
    assert held["reason"].startswith("sightings row from hf_daily on 2024-03-11")
    assert held["snapshot_id"] == batch["snapshot_id"][1]


def test_an_arxiv_id_with_a_version_suffix_is_quarantined():
    batch = sightings(fixture_rows("arxiv_version_suffix.json"))

    result = gate("sightings", batch)

    assert_accounted(result)
    assert result.clean["arxiv_id"].to_list() == ["2403.00987"]
    [held] = result.quarantined.to_dicts()
    assert held["rule"] == "arxiv_id_format"
    assert "arxiv_id '2403.01234v2' is not an arXiv id" in held["reason"]
    assert "without a vN suffix" in held["reason"]


def test_a_row_breaking_several_rules_is_one_quarantined_row_naming_them_all():
    rows = fixture_rows("clean_rows.json")
    rows[0] |= {"title": "Subscribe", "arxiv_id": "2403.01234v1", "rank": 0}
    result = gate("sightings", sightings(rows), snapshot_date=date(2024, 3, 11))

    assert_accounted(result)
    [held] = result.quarantined.to_dicts()
    assert held["rule"] == "title_boilerplate"
    for rule in ("title_boilerplate", "arxiv_id_format", "paper_id_format", "rank_positive"):
        assert rule in held["reason"]
    assert {r: n for r, n in result.rule_counts.items() if n} == {
        "title_boilerplate": 1,
        "arxiv_id_format": 1,
        "paper_id_format": 1,
        "rank_positive": 1,
    }


def test_rows_in_equal_rows_committed_plus_rows_quarantined_on_a_mixed_batch():
    rows = [dict(row) for row in fixture_rows("clean_rows.json") * 4]
    for i, row in enumerate(rows):
        row["rank"] = i + 1
        row["arxiv_id"] = f"2403.{i:05d}" if row["arxiv_id"] else None
        row["title"] = f"{row['title']} part {i}"
    rows[3]["title"] = "x" * 3000
    rows[7]["title"] = None
    rows[11]["upvotes"] = -5
    rows[12] |= {"title": "new", "abstract": ""}
    batch = sightings(rows)

    result = gate("sightings", batch)

    assert result.passed
    assert result.rows_in_count == batch.height == 20
    assert result.clean.height + result.quarantined.height == 20
    assert result.quarantined_positions == [3, 7, 11, 12]
    assert result.clean.equals(batch.filter(~pl.int_range(pl.len()).is_in([3, 7, 11, 12])))
    assert rows_from_json(SIGHTINGS, result.quarantined["row_json"]).equals(batch[[3, 7, 11, 12]])
    assert result.summary | {"failed_rules": None} == {
        "table": "sightings",
        "feed": FEED,
        "snapshot_date": "2024-03-11",
        "rows_in": 20,
        "rows_clean": 16,
        "rows_quarantined": 4,
        "rows_rejected": 0,
        "failed_rules": None,
        "rejected_by": [],
        "batch_failures": [],
    }


# --- batch-level failures: nothing of the feed-day is committed -------------------------------------


def assert_rejected(result, rule: str) -> str:
    assert not result.passed
    assert result.clean.height == 0 and result.quarantined.height == 0
    assert result.rejected_count == result.rows_in_count
    assert_accounted(result)
    assert rule in [f.rule for f in result.batch_failures]
    with pytest.raises(BatchRejected) as raised:
        result.raise_if_rejected()
    error = raised.value
    assert (error.feed, error.snapshot_date) == (result.feed, result.snapshot_date)
    message = str(error)
    assert result.feed in message and result.snapshot_date.isoformat() in message and rule in message
    return message


def test_a_batch_with_duplicate_keys_is_rejected():
    batch = sightings(fixture_rows("duplicate_keys.json"))

    result = gate("sightings", batch)

    message = assert_rejected(result, "duplicate_key")
    assert result.rule_counts["duplicate_key"] == 2
    assert "key paper_id, feed, snapshot_id repeats in 2 rows" in message
    assert "2403.01234" in message


def test_duplicate_paper_ids_reject_a_papers_batch():
    batch = pl.concat([papers(2), papers(1)])

    message = assert_rejected(gate("papers", batch), "duplicate_key")
    assert "rejected by rule duplicate_key: key paper_id repeats in 2 rows" in message


def test_rows_sharing_a_null_key_are_quarantined_not_a_duplicate_key():
    rows = fixture_rows("clean_rows.json")
    batch = sightings(rows).with_columns(
        pl.when(pl.col("rank") <= 2).then(None).otherwise(pl.col("paper_id")).alias("paper_id")
    )

    result = gate("sightings", batch)

    assert result.passed
    assert result.quarantined["rule"].to_list() == ["paper_id_not_null", "paper_id_not_null"]


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda b: b.drop("title"), "missing columns ['title']"),
        (lambda b: b.with_columns(pl.lit(1).alias("score")), "unexpected columns ['score']"),
        (lambda b: b.with_columns(pl.col("rank").cast(pl.Int64)), "wrong types: rank is Int64, expected Int32"),
        (lambda b: b.with_columns(pl.col("snapshot_date").cast(pl.String)), "snapshot_date is String, expected Date"),
    ],
    ids=["missing", "extra", "int64-rank", "string-date"],
)
def test_a_batch_of_the_wrong_shape_is_rejected(change, says):
    result = gate("sightings", change(sightings(fixture_rows("clean_rows.json"))))

    message = assert_rejected(result, "schema")
    assert says in message
    assert result.validation is None  # the rules never ran on it


def test_an_empty_batch_where_the_feed_said_it_had_data_is_rejected():
    message = assert_rejected(gate("sightings", SIGHTINGS.empty_frame(), expected_nonempty=True), "empty_batch")
    assert "empty but the feed said it had data" in message


def test_an_empty_batch_of_a_quiet_feed_day_passes():
    result = gate("sightings", SIGHTINGS.empty_frame())

    assert result.passed and result.clean.height == 0 and result.quarantined.height == 0


def test_a_feed_day_whose_volume_collapses_is_rejected():
    history = [50, 48, 52, 50, 49, 51, 50, 47, 53, 50, 50, 46, 54, 50]
    batch = sightings(fixture_rows("clean_rows.json")[:3])

    message = assert_rejected(gate("sightings", batch, recent_row_counts=history), "volume_drop")
    assert "3 rows, under 20% of the median 50 of the feed's last 14 days" in message


def test_a_feed_day_with_normal_volume_passes_the_volume_rule():
    result = gate("sightings", sightings(fixture_rows("clean_rows.json")), recent_row_counts=[5, 6, 4, 5])

    assert result.passed


def test_every_batch_failure_is_reported_not_only_the_first():
    batch = sightings(fixture_rows("duplicate_keys.json"))

    result = gate("sightings", batch, recent_row_counts=[40] * 14)

    assert [f.rule for f in result.batch_failures] == ["volume_drop", "duplicate_key"]
    with pytest.raises(BatchRejected) as raised:
        result.raise_if_rejected()
    assert raised.value.rule == "volume_drop" and len(raised.value.failures) == 2
