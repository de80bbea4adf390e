"""The gate inside the pipeline: where every row of a batch goes, and what a rejected feed-day does."""

import json
from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from feeds import hf_daily
from flows.ingest import ingest_files
from flows.reparse import reparse_archive
from flows.reports import BatchesRejected
from tests.conftest import DATA, assert_keys_unique, write_page

pytestmark = pytest.mark.usefixtures("prefect_harness")
MIXED = DATA / "validation" / "hf_2024-03-11_mixed.json"


def held_rules(lake) -> dict[str, str]:
    """The rule each held sightings row broke (parse rejects, table `parse`, have no paper_id)."""
    held = lake.read("quarantine").filter(pl.col("table") == "sightings")
    return {json.loads(row)["paper_id"]: rule for row, rule in held.select("row_json", "rule").iter_rows()}


def test_bad_rows_are_quarantined_with_rule_and_reason_and_the_rest_committed(lake):
    report = ingest_files([str(MIXED)], lake.uri, date(2024, 3, 11))

    assert sorted(lake.read("sightings")["paper_id"]) == ["2403.01001", "2403.01002"]
    assert held_rules(lake) == {
        "2403.01234v2": "arxiv_id_format",
        "2403.01004": "title_boilerplate",
        "2403.01005": "upvotes_non_negative",
    }
    summary, papers_summary = report.validation
    assert summary["rows_in"] == summary["rows_clean"] + summary["rows_quarantined"] == 5
    assert (papers_summary["table"], papers_summary["rows_in"], papers_summary["rows_clean"]) == ("papers", 2, 2)
    held = lake.read("quarantine").sort("rule")
    first = held.row(0, named=True)
    assert (first["feed"], first["snapshot_date"], first["table"]) == ("hf_daily", date(2024, 3, 11), "sightings")
    assert first["snapshot_id"] == lake.read("snapshots")["snapshot_id"][0]
    assert first["run_id"] and first["quarantined_at"]
    assert "2403.01234v2" in first["reason"] and "hf_daily on 2024-03-11" in first["reason"]
    # The item with no title cannot be a row at all: the parser reports it, the raw payload keeps it,
    # and the quarantine holds it under `parse` with the item's JSON, so rows in = committed + held.
    [snapshot] = lake.read("snapshots").to_dicts()
    [dropped] = held.filter(pl.col("table") == "parse").to_dicts()
    assert (dropped["rule"], dropped["snapshot_id"]) == ("missing_field", snapshot["snapshot_id"])
    assert "item 4: has no title; item skipped" in dropped["reason"]
    assert json.loads(json.loads(dropped["row_json"])["text"])["paper"]["id"] == "2403.01003"
    assert snapshot["parse_status"] == "partial"
    assert any("item 4: has no title; item skipped [missing_field]" in e for e in snapshot["parse_errors"])
    assert snapshot["content"] == hf_daily.canonical_json_list(MIXED.read_bytes())  # the live fetch's compact form
    assert report.docs_index and (lake.uri.rsplit("/", 1)[0] + "/validation/index.html") == report.docs_index


def test_second_run_holds_nothing_twice(lake):
    ingest_files([str(MIXED)], lake.uri, date(2024, 3, 11))
    ingest_files([str(MIXED)], lake.uri, date(2024, 3, 11))
    assert lake.read("quarantine").height == 4  # three rule rejects, one item the parser dropped
    assert_keys_unique(lake)


def test_a_future_snapshot_date_quarantines_every_row(pages, lake):
    ingest_files([str(pages / "2024-03-13.txt")], lake.uri, date(2999, 1, 1))
    assert lake.read("sightings").height == 0
    assert set(held_rules(lake).values()) == {"snapshot_date_range"}
    assert lake.read("quarantine").height == 2


def test_a_collapsed_feed_day_is_rejected_whole_while_other_days_land(tmp_path, lake):
    titles = [f"Steady Paper Number {n}" for n in range(1, 21)]
    for day in (1, 2, 3):
        write_page(tmp_path / "history" / f"d{day}.txt", titles[day - 1 : day + 11], f"Mar {day}")  # 12 a day
    ingest_files([str(tmp_path / "history")], lake.uri)
    write_page(tmp_path / "run" / "d4.txt", ["A Lonely Paper"], "Mar 4")
    write_page(tmp_path / "run" / "d5.txt", titles[5:17], "Mar 5")

    with pytest.raises(BatchesRejected) as rejected:
        ingest_files([str(tmp_path / "run")], lake.uri)

    message = str(rejected.value)
    assert "archive" in message and "03-04" in message and "volume_drop" in message
    dates = lake.read("sightings")["snapshot_date"].unique().sort().to_list()
    assert [d.day for d in dates] == [1, 2, 3, 5]
    statuses = dict(lake.read("snapshots").select(pl.col("snapshot_date").dt.day(), "parse_status").iter_rows())
    assert statuses == {1: "ok", 2: "ok", 3: "ok", 4: "rejected", 5: "ok"}
    assert rejected.value.report.sighting_count == 12


def test_after_a_parser_fix_reparse_releases_rows_that_now_pass(lake, monkeypatch):
    from feeds import formats, hf_daily

    ingest_files([str(MIXED)], lake.uri, date(2024, 3, 11))
    assert "2403.01234v2" in held_rules(lake)

    def strip_versions(content, source):
        result = hf_daily.parse(content, source)
        result.rows = result.rows.with_columns(pl.col("arxiv_id").str.replace(r"v\d+$", ""))
        return result

    monkeypatch.setitem(formats.FORMATS, hf_daily.FORMAT, replace(formats.FORMATS[hf_daily.FORMAT], parse=strip_versions))
    reparse_archive(lake.uri)

    assert sorted(lake.read("sightings")["paper_id"]) == ["2403.01001", "2403.01002", "2403.01234"]
    assert set(held_rules(lake)) == {"2403.01004", "2403.01005"}
    assert lake.read("papers").filter(pl.col("paper_id") == "2403.01234").height == 1
    assert_keys_unique(lake)
