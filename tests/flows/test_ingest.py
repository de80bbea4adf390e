import json
from datetime import date

import polars as pl
import pytest

from flows.ingest import ingest_files
from tests.conftest import MALFORMED, PAGES, assert_keys_unique, saved_copy

pytestmark = pytest.mark.usefixtures("prefect_harness")


def tables(lake):
    return {name: lake.read(name) for name in ("snapshots", "sightings", "papers")}


def test_sample_days_land_as_sightings_and_deduped_papers(pages, lake):
    report = ingest_files([str(pages)], lake.uri)

    assert [(s.snapshot_date, s.status, s.row_count) for s in report.snapshots] == [
        (date(2024, 3, 11), "ok", 3),  # a paper listed twice on the page counts once
        (date(2024, 3, 12), "ok", 3),  # no date line: the file's modification date
        (date(2024, 3, 13), "ok", 2),
    ]
    papers = lake.read("papers").sort("paper_id")
    assert papers.height == 5
    by_title = {row["title_key"]: row for row in papers.to_dicts()}
    lora = by_title["lora adapters forget less a study of continual fine tuning"]
    assert (lora["first_seen_date"], lora["last_seen_date"], lora["days_seen"]) == (date(2024, 3, 11), date(2024, 3, 12), 2)
    sparse = by_title["sparse routing for tiny transformers"]
    assert (sparse["days_seen"], sparse["sighting_count"]) == (2, 2)
    assert lake.read("sightings").height == 8
    assert lake.read("snapshots")["parse_status"].to_list() == ["ok", "ok", "ok"]


def test_second_ingest_changes_nothing_and_reports_skips(pages, lake):
    ingest_files([str(pages)], lake.uri)
    before = tables(lake)
    versions = {name: lake.delta(name).version() for name in before}

    report = ingest_files([str(pages)], lake.uri)

    assert [s.status for s in report.snapshots] == ["skipped"] * 3
    assert report.sighting_count == 0
    for name, frame in tables(lake).items():
        assert frame.sort(frame.columns[0]).equals(before[name].sort(frame.columns[0])), name
    assert {name: lake.delta(name).version() for name in before} == versions
    assert_keys_unique(lake)


def test_ingest_order_does_not_change_the_result(pages, lake, tmp_path):
    from lake.store import Lake

    ingest_files([str(pages / "2024-03-13.txt")], lake.uri)
    ingest_files([str(pages / "2024-03-11.txt")], lake.uri)
    ingest_files([str(pages)], lake.uri)
    at_once = Lake(str(tmp_path / "at-once"))
    ingest_files([str(pages)], at_once.uri)

    columns = ["paper_id", "title_key", "first_seen_date", "last_seen_date", "days_seen", "sighting_count"]
    assert lake.read("papers").select(columns).sort("paper_id").equals(at_once.read("papers").select(columns).sort("paper_id"))
    assert lake.read("sightings").height == at_once.read("sightings").height == 8
    assert_keys_unique(lake)


def test_explicit_date_overrides_the_date_line(pages, lake):
    report = ingest_files([str(pages / "2024-03-11.txt")], lake.uri, date(2023, 1, 5))
    assert report.snapshots[0].snapshot_date == date(2023, 1, 5)
    assert lake.read("sightings")["snapshot_date"].unique().to_list() == [date(2023, 1, 5)]


def test_dec31_page_saved_in_january_belongs_to_the_previous_year(tmp_path, lake):
    page = saved_copy(PAGES / "dec31.txt", tmp_path / "in", date(2025, 1, 2))
    ingest_files([str(page)], lake.uri)
    assert lake.read("papers")["first_seen_date"].to_list() == [date(2024, 12, 31)]


def test_unreadable_files_keep_their_raw_content_and_errors(lake):
    report = ingest_files([str(MALFORMED)], lake.uri)

    by_name = {s.source.rsplit("/", 1)[1]: s for s in report.snapshots}
    assert {n: (s.status, s.row_count) for n, s in by_name.items()} == {
        "binary.png": ("failed", 0),
        "empty.txt": ("failed", 0),
        "latin1.txt": ("failed", 0),
        "page.html": ("failed", 0),
        "title_without_abstract.txt": ("partial", 1),
        "misplaced_lines.txt": ("partial", 3),
    }
    snapshots = lake.read("snapshots")
    assert snapshots.height == 6
    for row in snapshots.to_dicts():
        name = row["source"].rsplit("/", 1)[1]
        assert row["content"] == (MALFORMED / name).read_bytes()
        assert row["parse_errors"] and row["parse_errors"][0].startswith(row["source"])
    assert "Counting Cats in Satellite Images" in lake.read("papers")["title"].to_list()
    held = lake.read("quarantine").filter(pl.col("table") == "parse")
    assert sorted(held["rule"]) == ["abstract_without_title", "title_without_abstract", "title_without_abstract"]
    again = ingest_files([str(MALFORMED)], lake.uri)
    assert {s.status for s in again.snapshots} == {"skipped"}


def test_real_seeds_give_512_sightings_482_papers_27_recurring(seeds, lake):
    for _ in range(2):
        ingest_files([str(seeds)], lake.uri)
        papers = lake.read("papers")
        assert lake.read("sightings").height == 512
        assert papers.height == 482
        assert papers.filter(pl.col("days_seen") > 1).height == 27
        assert_keys_unique(lake)


MISPLACED_ROWS_IN = 6  # four title/abstract pairs (one title 3,000 characters long), a title with no abstract, an abstract with no title


def test_rows_in_equal_kept_plus_quarantined_counting_what_the_parser_dropped(lake):
    page = MALFORMED / "misplaced_lines.txt"
    report = ingest_files([str(page)], lake.uri, date(2024, 3, 15))

    held = lake.read("quarantine")
    assert report.sighting_count + report.quarantined_count == MISPLACED_ROWS_IN
    assert lake.read("sightings").height + held.height == MISPLACED_ROWS_IN
    assert sorted(zip(held["table"], held["rule"])) == [
        ("parse", "abstract_without_title"), ("parse", "title_without_abstract"), ("sightings", "title_length"),
    ]
    parse_rows = held.filter(pl.col("table") == "parse").sort("rule")
    assert parse_rows["snapshot_id"].unique().to_list() == lake.read("snapshots")["snapshot_id"].to_list()
    assert parse_rows["reason"][1] == f"{page}:19: title with no abstract after it: 'A Second Title That Lost Its Abstract' [title_without_abstract]"
    assert json.loads(parse_rows["row_json"][1]) == {"source": str(page), "line": 19, "text": "A Second Title That Lost Its Abstract"}

    versions = {name: lake.delta(name).version() for name in ("sightings", "quarantine")}
    again = ingest_files([str(page)], lake.uri, date(2024, 3, 15))
    assert (again.sighting_count, again.quarantined_count) == (0, 0)
    assert lake.read("quarantine").sort("quarantine_id").equals(held.sort("quarantine_id"))
    assert {name: lake.delta(name).version() for name in versions} == versions
    assert_keys_unique(lake)


def test_a_day_listed_again_with_other_bytes_but_the_same_papers_rewrites_no_papers(pages, lake, tmp_path):
    """A refetched day whose listing did not change a paper: its sightings land, and `papers` gets no
    commit (no file rewritten, nothing in its change feed); the report counts no paper updated."""
    ingest_files([str(pages)], lake.uri)
    papers_before, version_before = lake.read("papers"), lake.delta("papers").version()
    refetched = saved_copy(pages / "2024-03-13.txt", tmp_path / "again", date(2024, 3, 14))
    refetched.write_bytes(refetched.read_bytes() + b"\n\n")
    saved_copy(refetched, tmp_path / "again2", date(2024, 3, 14))  # its mtime as the first copy's

    report = ingest_files([str(tmp_path / "again2")], lake.uri)

    assert (report.sighting_count, report.new_paper_count, report.updated_paper_count) == (2, 0, 0)
    assert lake.delta("papers").version() == version_before
    assert lake.read("papers").sort("paper_id").equals(papers_before.sort("paper_id"))
    assert_keys_unique(lake)
