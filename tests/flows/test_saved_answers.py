"""Importing saved API answers gives the same tables as fetching those days.

The same N days of both feeds are fetched from the replay server by `backfill` into one lake, and
saved as files into a folder the way public archives keep them (`daily_papers_YYYY-MM-DD.json`
re-indented and re-escaped by `json.dump(answer, f, indent=2)`, arXiv's Atom answer as sent) and
ingested into another. Sightings and papers must match; the HF snapshots must even be the same
bytes (content hash), so importing a day already fetched adds nothing.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest

from feeds import arxiv
from flows.backfill import backfill
from flows.ingest import ingest_files
from lake.store import Lake
from paperlake.replay import ARXIV_PATH, ReplayServer, hf_day_items
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats, point_feeds_at, sample_days  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

FIRST_DATE = date(2024, 3, 11)
DAY_COUNT = 4
DAYS = [FIRST_DATE + timedelta(days=n) for n in range(DAY_COUNT)]
SIGHTING_KEY = ["feed", "snapshot_date", "rank", "paper_id"]


def save_answers(server: ReplayServer, samples: Path, folder: Path) -> Path:
    """Each day's answers as an archive keeps them: HF re-indented (and \\uXXXX-escaped), arXiv's two
    queries (the day's submissions, and its new versions) as sent."""
    folder.mkdir()
    for day in DAYS:
        items = hf_day_items(samples, day)
        (folder / f"daily_papers_{day}.json").write_text(json.dumps(items, indent=2) + "\n", "utf-8")
        for name, field in (("arxiv", "submittedDate"), ("arxiv_versions", "lastUpdatedDate")):
            params = {"search_query": arxiv.search_query(arxiv.DEFAULT_CATEGORIES, day, field=field), "start": 0, "max_results": 200}
            answer = httpx.get(server.base_url + ARXIV_PATH, params=params)
            answer.raise_for_status()
            (folder / f"{name}_{day}.xml").write_bytes(answer.content)
    return folder


def sightings(lake: Lake) -> pl.DataFrame:
    # fetched_at is when each was read: the imported copies were read later.
    return lake.read("sightings").drop("fetched_at").sort(SIGHTING_KEY)


def test_saved_answers_ingest_to_the_same_tables_as_fetching_those_days(tmp_path, monkeypatch):
    samples = sample_days(tmp_path / "samples", FIRST_DATE, DAY_COUNT)
    fetched, imported = Lake(str(tmp_path / "fetched")), Lake(str(tmp_path / "imported"))
    with ReplayServer(samples) as server:
        point_feeds_at(monkeypatch, server.base_url)
        backfill(DAYS[0], DAYS[-1], ["hf_daily", "arxiv"], fetched.uri)
        saved = save_answers(server, samples, tmp_path / "saved")

    ingest_files([str(saved)], imported.uri)

    fetched_rows, imported_rows = sightings(fetched), sightings(imported)
    assert fetched_rows.height > 0 and set(fetched_rows["feed"]) == {"hf_daily", "arxiv"}
    assert sorted(set(imported_rows["snapshot_date"])) == DAYS
    # Same rows, snapshot ids included: saved answers are stored in the live fetch's form (HF compact JSON,
    # arXiv's stable header), so the same day fetched or imported is byte for byte one snapshot.
    assert imported_rows.equals(fetched_rows)
    assert_same_snapshots(fetched, imported)
    papers_columns = sorted(c for c in fetched.read("papers").columns if c != "counts_observed_at")
    assert imported.read("papers").select(papers_columns).sort("paper_id").equals(fetched.read("papers").select(papers_columns).sort("paper_id"))
    assert_keys_unique(imported)

    # A saved day already fetched is the same snapshot: ingesting the archive into the fetched lake adds nothing.
    report = ingest_files([str(saved)], fetched.uri)
    assert [s.status for s in report.snapshots] == ["skipped"] * DAY_COUNT * 3
    assert sightings(fetched).equals(fetched_rows)


def assert_same_snapshots(fetched: Lake, imported: Lake) -> None:
    columns = ["snapshot_id", "feed", "snapshot_date", "format", "byte_count", "parse_status", "row_count"]
    rows = [lake.read("snapshots").select(columns).sort("feed", "snapshot_date") for lake in (fetched, imported)]
    assert rows[0].equals(rows[1])


def test_paperlake_ingest_of_an_undated_answer_says_which_file_and_why(tmp_path):
    from typer.testing import CliRunner

    from paperlake.cli import app

    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "daily_papers_latest.json").write_text("[]\n", "utf-8")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # rich may wrap a long line
    assert "daily_papers_latest.json: saved hf_daily answer with no date in its name and no --date" in output
    # With --date the same file lands under that day.
    result = CliRunner().invoke(app, ["ingest", str(folder), "--date", "2024-03-12", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.output
    assert Lake(str(tmp_path / "lake")).read("snapshots").select("feed", "snapshot_date").row(0) == ("hf_daily", date(2024, 3, 12))
