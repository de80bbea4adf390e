"""lake.paper_history: one paper's story (`show`) on the scenario of tests/explore_scenario.py, and a
table's commit history from delta-rs history entries (no lake on disk needed)."""

from datetime import datetime, timezone

import polars as pl
import pytest

from lake import paper_history
from tests.explore_scenario import A, T, day, rows, scenario_sightings


@pytest.fixture
def sightings() -> pl.LazyFrame:
    return scenario_sightings().lazy()


def test_show_paper_tells_sightings_versions_and_when_each_value_appeared(sightings):
    renamed = scenario_sightings().with_columns(
        pl.when((pl.col("paper_id") == A) & (pl.col("snapshot_date") >= day(6)))
        .then(pl.lit("Sparse Mixture Routing at Scale, Revised"))
        .otherwise(pl.col("title"))
        .alias("title")
    )
    papers = pl.DataFrame({"paper_id": [A], "title": ["Sparse Mixture Routing at Scale, Revised"], "days_seen": [7]}).lazy()
    detail = paper_history.show_paper(renamed.lazy(), papers, "arXiv:2403.00001v2")
    assert detail.paper_id == A and detail.summary["days_seen"] == 7
    assert detail.sightings.height == 9
    assert rows(detail.sightings.head(3), "snapshot_date", "feed", "rank", "upvotes", "arxiv_version") == [
        (day(1), "arxiv", 1, None, 1), (day(1), "hf_daily", 1, 5, None), (day(2), "hf_daily", 1, 9, None),
    ]
    assert rows(detail.versions, "arxiv_version", "first_seen_date", "last_seen_date") == [(1, day(1), day(1)), (2, day(5), day(5))]
    values = detail.values
    assert rows(values.filter(pl.col("field") == "title"), "value", "first_seen_date", "last_seen_date") == [
        ("Sparse Mixture Routing at Scale", day(1), day(5)),
        ("Sparse Mixture Routing at Scale, Revised", day(6), day(7)),
    ]
    assert rows(values.filter(pl.col("field") == "upvotes"), "value", "first_seen_date", "first_feed") == [
        ("5", day(1), "hf_daily"), ("9", day(2), "hf_daily"), ("14", day(3), "hf_daily"),
        ("20", day(4), "hf_daily"), ("22", day(5), "hf_daily"), ("23", day(6), "hf_daily"),
    ]


def test_show_paper_of_a_title_only_paper_and_of_an_unknown_one(sightings):
    empty_papers = pl.DataFrame(schema={"paper_id": pl.String}).lazy()
    detail = paper_history.show_paper(sightings, empty_papers, T)
    assert detail.summary is None and detail.versions.is_empty()
    assert detail.sightings["snapshot_date"].to_list() == [day(2), day(6)]
    assert paper_history.show_paper(sightings, empty_papers, "9999.99999") is None


def test_paper_ids_are_taken_as_people_paste_them():
    assert paper_history.paper_id_of(" arXiv:2403.01234v12 ") == "2403.01234"
    assert paper_history.paper_id_of("2403.0123") == "2403.0123"  # an old-style 4-digit id stays a string
    assert paper_history.paper_id_of(T) == T


def test_table_history_reads_delta_history_entries():
    entries = [
        {"version": 2, "timestamp": 1_700_000_002_000, "operation": "MERGE",
         "operationMetrics": {"num_target_rows_inserted": 3, "num_target_rows_updated": 2, "num_target_rows_deleted": 1},
         "paperlake.operation": "ingest", "paperlake.run_id": "run-b", "paperlake.feed": "", "paperlake.snapshot_dates": "2024-03-02"},
        {"version": 1, "timestamp": 1_700_000_001_000, "operation": "WRITE", "operationParameters": {"mode": "Append"},
         "operationMetrics": {"num_added_rows": 5}, "paperlake.run_id": "run-a", "paperlake.feed": "hf_daily"},
        {"version": 0, "timestamp": 1_700_000_000_000, "operation": "CREATE TABLE", "operationParameters": {"mode": "ErrorIfExists"}},
    ]
    history = paper_history.table_history(entries)
    assert rows(history, "version", "operation", "rows_added", "rows_updated", "rows_deleted", "run_id", "feed") == [
        (2, "MERGE", 3, 2, 1, "run-b", None),
        (1, "WRITE (append)", 5, None, None, "run-a", "hf_daily"),
        (0, "CREATE TABLE", 0, None, None, None, None),
    ]
    assert history["committed_at"][2] == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
