"""Reading the change feed of the scenario lake (tests/explore_scenario.py): one papers MERGE a day."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from typer.testing import CliRunner

from lake import papers as lake_papers
from lake import table_setup, writes
from lake.changes import CHANGE_COLUMNS, ChangeFeedError, change_feed_start, read_changes
from lake.schemas import PAPERS
from paperlake.cli import app
from tests.explore_scenario import A, B, C, T, day, write_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from lake.store import Lake

    return write_scenario(Lake(str(tmp_path_factory.mktemp("changes") / "lake")), quarantined=False)


def test_new_tables_record_changes_from_their_creation(scenario):
    for name in ("papers", "sightings"):
        table = scenario.lake.delta(name)
        assert table.metadata().configuration["delta.enableChangeDataFeed"] == "true"
        assert change_feed_start(table) == 0
    assert change_feed_start(scenario.lake.delta("snapshots")) is None


def test_a_day_s_merge_reads_as_an_insert_and_updates_with_both_images(scenario):
    # papers: version n is day n's MERGE. Day 7 lists A again (upvotes stay 23, 7 days now) and C for the first time.
    changes = read_changes(scenario.lake, "papers", since_version=7)
    rows = changes.rows
    assert (changes.first_version, changes.last_version) == (7, 7)
    assert rows.columns[-3:] == list(CHANGE_COLUMNS)
    assert rows.select("paper_id", "_change_type", "days_seen").rows() == [
        (A, "update_preimage", 6), (A, "update_postimage", 7), (C, "insert", 1),
    ]
    assert rows.schema["_commit_version"] == pl.Int64 and rows.schema["_commit_timestamp"] == pl.Datetime("ms", "UTC")


def test_upvotes_move_between_pre_and_post_images_day_by_day(scenario):
    rows = read_changes(scenario.lake, "papers", since_version=2, until_version=5).rows
    a = rows.filter(pl.col("paper_id") == A)
    assert a.filter(pl.col("_change_type") == "update_preimage")["upvotes"].to_list() == [5, 9, 14, 20]
    assert a.filter(pl.col("_change_type") == "update_postimage")["upvotes"].to_list() == [9, 14, 20, 22]
    assert sorted(set(rows["_commit_version"])) == [2, 3, 4, 5]
    assert rows.filter(pl.col("_change_type") == "insert")["paper_id"].sort().to_list() == sorted(["2402.09999", B, T])


def test_since_a_time_starts_at_the_first_commit_after_it(scenario):
    moment = scenario.moments[6]  # after day 6 was written, before day 7
    by_time = read_changes(scenario.lake, "papers", since=moment)
    assert by_time.first_version == 7 and by_time.rows.equals(read_changes(scenario.lake, "papers", since_version=7).rows)
    later = read_changes(scenario.lake, "papers", since=scenario.moments[7] + timedelta(days=1))
    assert later.rows.is_empty() and later.first_version > later.last_version
    sightings = read_changes(scenario.lake, "sightings", since=moment).rows
    assert set(sightings["_change_type"]) == {"insert"} and set(sightings["snapshot_date"]) == {day(7)}


def test_a_merged_paper_reads_as_a_delete(tmp_path):
    from lake.store import Lake

    lake = write_scenario(Lake(str(tmp_path / "lake")), days=range(1, 3), quarantined=False).lake
    start = lake.delta("papers").version() + 1
    lake_papers.upsert_papers(lake, PAPERS.empty_frame(), writes.CommitInfo("test"), removed_ids=[T])
    rows = read_changes(lake, "papers", since_version=start).rows
    assert rows.select("paper_id", "_change_type").rows() == [(T, "delete")]
    assert rows["title"].item() == "Sparse Routing for Tiny Transformers"  # the row as it was


def test_a_time_before_the_feed_was_turned_on_is_refused_naming_the_version(tmp_path, monkeypatch):
    from lake.store import Lake

    lake = Lake(str(tmp_path / "lake"))
    with monkeypatch.context() as older:
        older.setattr(table_setup, "TABLE_PROPERTIES", {})
        written = write_scenario(lake, days=range(1, 3), quarantined=False)
    table_setup.ensure_tables(lake)  # what the next load does first
    with pytest.raises(ChangeFeedError, match=r"table 'papers' records changes from version 3 on .* not 20.* \(version 2\)"):
        read_changes(lake, "papers", since=written.moments[1])


def test_the_command_reads_since_a_time_into_a_parquet_file(scenario, tmp_path):
    moment = scenario.moments[6].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    out_file = tmp_path / "changes.parquet"
    result = CliRunner().invoke(app, ["changes", "papers", "--since", moment, "--out", str(out_file), "--lake", scenario.lake.uri])
    assert result.exit_code == 0, result.output
    written = pl.read_parquet(out_file)
    assert written.select("paper_id", "_change_type", "_commit_version").rows() == [
        (A, "update_preimage", 7), (A, "update_postimage", 7), (C, "insert", 7),
    ]
    assert written.columns == [*PAPERS.column_names, *CHANGE_COLUMNS]


def test_the_command_prints_a_listing_and_refuses_a_bad_time(scenario):
    runner = CliRunner(env={"COLUMNS": "200"})
    shown = runner.invoke(app, ["changes", "papers", "--since-version", "7", "--lake", scenario.lake.uri])
    assert shown.exit_code == 0, shown.output
    header, *lines = shown.stdout.splitlines()
    assert header.split() == ["_commit_version", "_commit_timestamp", "_change_type", "paper_id", "title", "last_seen_date", "days_seen", "upvotes"]
    assert [line.split()[2] for line in lines] == ["update_preimage", "update_postimage", "insert"]
    neither = runner.invoke(app, ["changes", "papers", "--lake", scenario.lake.uri])
    assert neither.exit_code == 2 and "give one of --since-version N or --since TIME" in neither.output
    bad = runner.invoke(app, ["changes", "papers", "--since", "yesterday", "--lake", scenario.lake.uri])
    assert bad.exit_code == 2 and "'yesterday' is not a date/time" in bad.output


def test_changes_whose_files_maintain_vacuumed_are_refused_saying_why(tmp_path):
    from lake.maintenance import maintain_table
    from lake.store import Lake

    lake = write_scenario(Lake(str(tmp_path / "lake")), days=range(1, 4), quarantined=False).lake
    before = lake.delta("sightings").version()
    # Appends are read back from their data files; compaction replaces them and a vacuum at 0 days deletes them.
    result = maintain_table(lake, "sightings", writes.CommitInfo("maintain"), retention_days=0)
    assert result.vacuumed_file_count > 0
    with pytest.raises(ChangeFeedError, match=r"cannot read the changes of table 'sightings' from version 1: .*`maintain` vacuums"):
        read_changes(lake, "sightings", since_version=1)
    assert read_changes(lake, "sightings", since_version=before + 1).rows.is_empty()  # compaction changes no row
    # A MERGE's changes, inserts too, live in _change_data/, which vacuum keeps.
    maintain_table(lake, "papers", writes.CommitInfo("maintain"), retention_days=0)
    assert read_changes(lake, "papers", since_version=1).rows.height == 8
