"""The backfill flow: a range of days as one run, committed in batches, safe to rerun, resumable after a failure."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.backfill import backfill
from flows.backfill_progress import BackfillProgress, progress_listener
from flows.backfill_report import BackfillFailed
from lake.progress import table_versions
from lake.schemas import TABLES
from paperlake.cli import app
from paperlake.replay import ARXIV_PATH, HF_PATH, Fault, ReplayServer
from tests.conftest import assert_keys_unique
from tests.flows.artifact_lookup import artifacts_of_run, run_id_of
from tests.flows.live_fixtures import no_heartbeats, point_feeds_at, requested_days, sample_days  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

FIRST_DATE = date(2024, 3, 11)
DAY_COUNT = 10
LAST_DATE = FIRST_DATE + timedelta(days=DAY_COUNT - 1)
ALL_DAYS = [str(FIRST_DATE + timedelta(days=n)) for n in range(DAY_COUNT)]


@pytest.fixture
def ten_days(tmp_path, monkeypatch):
    """A replay server with ten consecutive days of both feeds, each day a different payload."""
    with ReplayServer(sample_days(tmp_path / "samples", FIRST_DATE, DAY_COUNT)) as server:
        point_feeds_at(monkeypatch, server.base_url)
        yield server


def snapshot_days(lake, feed: str) -> list[str]:
    """The days with a snapshot of `feed` (an arXiv day has two: its submissions and its replacements)."""
    frame = lake.read("snapshots").filter(pl.col("feed") == feed)
    return sorted({str(d) for d in frame["snapshot_date"]})


def test_ten_days_land_in_a_few_commits_with_a_progress_artifact_and_a_rerun_changes_nothing(ten_days, lake):
    steps: list[BackfillProgress] = []
    with progress_listener(steps.append):
        state = backfill(FIRST_DATE, LAST_DATE, lake_uri=lake.uri, return_state=True)
    report = state.result()

    assert {o.status for o in report.outcomes} == {"landed"} and len(report.outcomes) == 2 * DAY_COUNT
    assert snapshot_days(lake, "hf_daily") == snapshot_days(lake, "arxiv") == ALL_DAYS
    per_feed = dict(lake.read("sightings").group_by("feed").len().iter_rows())
    # arXiv: each day's submissions, and on the 13th its two replacements (v2s of papers first submitted on the 11th).
    assert per_feed == {"hf_daily": 10 + 10 + 9 + 10 + 10 + 9 + 10 + 10 + 9 + 10, "arxiv": 6 + 5 + 4 + 6 + 5 + 4 + 6 + 5 + 4 + 6 + 2}
    assert lake.read("papers").height == 30
    # One load per feed: a handful of commits per table, where a load per day would make ten or more each.
    assert report.commit_counts == {name: table_versions(lake)[name] + 1 for name in TABLES}  # every version, creation included
    assert sum(report.commit_counts.values()) <= DAY_COUNT * len(TABLES) / 3
    assert max(report.commit_counts.values()) <= 5
    assert_keys_unique(lake)
    # Data Docs built once for the loads: each load's validation page, and each load names the site
    docs = Path(lake.uri).parent / "validation"
    pages = {p.stem for p in (docs / "validations" / "sightings").rglob("*.html")}
    assert pages == {f"{load.feed}-{load.days[0]}" for load in report.loads} == {"hf_daily-2024-03-11", "arxiv-2024-03-11"}
    assert {load.report.docs_index for load in report.loads} == {str(docs / "index.html")}

    percents = [step.percent for step in steps]
    assert percents == sorted(percents) and percents[0] == 0.0 and percents[-1] == 100.0
    assert len(set(percents)) > DAY_COUNT  # it moves as each day is fetched, not only when a batch lands
    progress = artifacts_of_run(run_id_of(state))["backfill-progress"]
    assert (progress.type, progress.data) == ("progress", 100.0)
    assert progress.description.startswith("20 of 20 feed-days done: 20 landed, 0 already in the lake, 0 failed")

    since, versions = len(ten_days.requests), table_versions(lake)
    again = backfill(FIRST_DATE, LAST_DATE, lake_uri=lake.uri)

    assert {o.status for o in again.outcomes} == {"already"}
    assert ten_days.requests[since:] == []  # nothing fetched again
    assert table_versions(lake) == versions and sum(again.commit_counts.values()) == 0
    assert_keys_unique(lake)


def test_a_backfill_resumed_after_a_failure_fetches_only_the_days_that_did_not_land(ten_days, lake):
    ten_days.script(HF_PATH, None, None, None, Fault.http_status(404, b"no such listing"))  # the 4th hf_daily day

    with pytest.raises(BackfillFailed) as caught:
        backfill(FIRST_DATE, LAST_DATE, lake_uri=lake.uri, batch_day_count=4)

    message = str(caught.value)
    assert message.startswith("backfill 2024-03-11..2024-03-20: 1 of 20 feed-day(s) did not land (run it again to fetch only those): ")
    assert "hf_daily 2024-03-14: Not Found: no such listing (HTTP 404) GET " in message
    assert [(o.feed, str(o.day)) for o in caught.value.report.failed] == [("hf_daily", "2024-03-14")]
    assert "2024-03-14" not in snapshot_days(lake, "hf_daily") and len(snapshot_days(lake, "hf_daily")) == 9
    assert snapshot_days(lake, "arxiv") == ALL_DAYS  # the other feed went on, and so did the later days
    assert_keys_unique(lake)

    since = len(ten_days.requests)
    report = backfill(FIRST_DATE, LAST_DATE, lake_uri=lake.uri, batch_day_count=4)

    assert requested_days(ten_days, HF_PATH, since) == ["2024-03-14"]
    assert requested_days(ten_days, ARXIV_PATH, since) == []
    assert [(o.feed, str(o.day)) for o in report.with_status("landed")] == [("hf_daily", "2024-03-14")]
    assert len(report.with_status("already")) == 19
    assert snapshot_days(lake, "hf_daily") == ALL_DAYS
    assert_keys_unique(lake)


def test_a_day_with_the_same_bytes_as_another_lands_and_a_rerun_fetches_neither(tmp_path, monkeypatch, lake):
    # Days without papers: the listing is `[]` every time, so both days share one snapshot row.
    samples = tmp_path / "samples"
    (samples / "hf_daily").mkdir(parents=True)
    with ReplayServer(samples) as server:
        point_feeds_at(monkeypatch, server.base_url)
        report = backfill(date(2024, 3, 16), date(2024, 3, 17), ["hf_daily"], lake.uri, batch_day_count=1)
        again = backfill(date(2024, 3, 16), date(2024, 3, 17), ["hf_daily"], lake.uri, batch_day_count=1)

    assert [(str(o.day), o.status) for o in report.outcomes] == [("2024-03-16", "landed"), ("2024-03-17", "landed")]
    assert lake.read("snapshots").select("snapshot_date", "content").rows() == [(date(2024, 3, 16), b"[]")]
    # Each day has its own feed_days row, final (the days settled long ago): a rerun fetches neither.
    days = lake.read("feed_days").sort("snapshot_date")
    assert days.select("snapshot_date", "status", "row_count").rows() == [(date(2024, 3, 16), "final", 0), (date(2024, 3, 17), "final", 0)]
    assert [(str(o.day), o.status) for o in again.outcomes] == [("2024-03-16", "already"), ("2024-03-17", "already")]
    assert sum(again.commit_counts.values()) == 0 and lake.read("snapshots").height == 1
    assert_keys_unique(lake)


def test_backfill_command_draws_progress_and_exits_1_naming_the_failed_feed_days(ten_days, lake):
    ten_days.script(ARXIV_PATH, Fault.http_status(503, b"down"), Fault.http_status(503, b"down"))
    args = ["backfill", "--start", "2024-03-11", "--end", "2024-03-13", "--lake", lake.uri]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 1, result.output
    assert "5 feed-day(s) landed, 0 unchanged, 0 already in the lake, 1 failed" in result.output
    assert "failed: arxiv 2024-03-11: gave up after 2 attempts: Service Unavailable: down (HTTP 503)" in result.output
    assert "run the same command again to fetch only those" in result.output

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 feed-day(s) landed, 0 unchanged, 5 already in the lake, 0 failed" in result.output


def test_backfill_command_refuses_a_range_that_ends_before_it_starts(lake):
    result = CliRunner().invoke(app, ["backfill", "--start", "2024-03-13", "--end", "2024-03-11", "--lake", lake.uri])
    assert result.exit_code == 2 and "is before --start" in result.output
    assert not lake.has_table("snapshots")


def test_a_batch_too_big_for_one_load_is_loaded_in_parts_of_whole_days_and_lands_the_same(ten_days, lake, monkeypatch):
    import flows.backfill

    # Four days, not ten: one of them repeats the first day's papers, and each load is a whole
    # gate and commit round, so ten one-day loads cost half a minute more to say the same.
    last_date = FIRST_DATE + timedelta(days=3)
    whole = backfill(FIRST_DATE, last_date, ["arxiv"], lake.uri, batch_day_count=4)
    monkeypatch.setattr(flows.backfill, "MAX_LOAD_BYTES", 1)  # every day its own load
    other = lake.__class__(str(lake.uri) + "-parts")
    parts = backfill(FIRST_DATE, last_date, ["arxiv"], other.uri, batch_day_count=4)

    assert [len(load.days) for load in whole.loads] == [4]
    assert [len(load.days) for load in parts.loads] == [1] * 4
    assert parts.sighting_count == whole.sighting_count and len(parts.with_status("landed")) == 4
    assert other.read("papers").sort("paper_id")["arxiv_id"].to_list() == lake.read("papers").sort("paper_id")["arxiv_id"].to_list()
    assert_keys_unique(other)


def test_small_batches_gather_into_loads_near_the_byte_limit_and_land_the_same(ten_days, lake, monkeypatch):
    import flows.backfill

    whole = backfill(FIRST_DATE, LAST_DATE, ["arxiv"], lake.uri, batch_day_count=2)
    assert [len(load.days) for load in whole.loads] == [10]  # five batches of two days, one load

    day_bytes = {o.day: o.byte_count for o in whole.outcomes}
    limit = sum(day_bytes.values()) // 2  # a load is due once one more batch like the last would pass it
    monkeypatch.setattr(flows.backfill, "MAX_LOAD_BYTES", limit)
    other = lake.__class__(str(lake.uri) + "-gathered")
    gathered = backfill(FIRST_DATE, LAST_DATE, ["arxiv"], other.uri, batch_day_count=2)

    loads = [load.days for load in gathered.loads]
    assert 2 <= len(loads) < 5  # more than one load, fewer than one per batch
    assert max(len(days) for days in loads) >= 4  # batches gathered
    assert sorted(day for days in loads for day in days) == sorted(day_bytes)  # every day in exactly one load
    assert all(sum(day_bytes[day] for day in days) <= limit for days in loads)
    assert gathered.sighting_count == whole.sighting_count
    assert other.read("papers").sort("paper_id").equals(lake.read("papers").sort("paper_id"))
    assert_keys_unique(other)


def test_by_size_cuts_between_days_and_gives_the_failures_to_the_first_part():
    from datetime import datetime, timezone

    from feeds.base import Payload
    from flows.backfill import by_size
    from flows.feed_days import FetchedDays

    at = datetime(2024, 3, 21, tzinfo=timezone.utc)
    days = [FIRST_DATE + timedelta(days=n) for n in range(4)]
    fetched = FetchedDays("arxiv", {d: [Payload("arxiv", "u", "arxiv_atom", b"x" * 40, d, at)] * 2 for d in days}, {LAST_DATE: "arxiv: 503"})

    parts = by_size(fetched, 170)

    assert [sorted(p.payloads) for p in parts] == [days[:2], days[2:]]
    assert parts[0].failures == {LAST_DATE: "arxiv: 503"} and parts[1].failures == {}
    assert [p.byte_count for p in by_size(fetched, 10)] == [80, 80, 80, 80]  # a day bigger than the budget goes alone
    assert [sorted(p.payloads) for p in by_size(fetched, 10_000, max_day_count=3)] == [days[:3], days[3:]]


def test_the_hugging_face_list_is_loaded_at_most_its_own_cap_of_days_at_a_time(ten_days, lake, monkeypatch):
    import feeds.hf_daily

    monkeypatch.setattr(feeds.hf_daily, "MAX_LOAD_DAY_COUNT", 4)  # the feed's declared cap (62), scaled to ten days
    report = backfill(FIRST_DATE, LAST_DATE, lake_uri=lake.uri, batch_day_count=3)

    per_feed = {feed: [len(load.days) for load in report.loads if load.feed == feed] for feed in ("hf_daily", "arxiv")}
    assert per_feed == {"hf_daily": [3, 3, 3, 1], "arxiv": [10]}  # a batch of 3 more would pass 4 days; arXiv by bytes alone
    assert snapshot_days(lake, "hf_daily") == ALL_DAYS
    assert_keys_unique(lake)


def test_each_load_keeps_only_the_new_paper_ids_the_run_can_show_and_the_artifact_still_counts_them_all(ten_days, lake, monkeypatch):
    import json

    import flows.artifacts
    import flows.backfill

    # A ten-year backfill finds millions of new papers; its artifact shows the first 500 (here 3)
    monkeypatch.setattr(flows.backfill, "NEW_PAPER_ROW_LIMIT", 3, raising=False)
    monkeypatch.setattr(flows.artifacts, "NEW_PAPER_ROW_LIMIT", 3)
    monkeypatch.setattr(flows.backfill, "MAX_LOAD_BYTES", 1)  # a load per day
    last_date = FIRST_DATE + timedelta(days=3)
    state = backfill(FIRST_DATE, last_date, ["arxiv"], lake.uri, return_state=True)
    report = state.result()

    assert len(report.loads) == 4 and all(len(load.report.new_paper_ids) <= 3 for load in report.loads)
    papers = lake.read("papers").sort("first_seen_date", "paper_id")
    assert report.new_paper_count == papers.height > 3
    found = artifacts_of_run(run_id_of(state))["backfill-new-papers"]
    assert found.description == f"backfill {FIRST_DATE}..{last_date}: {papers.height} new paper(s), the first 3 shown"
    assert [row["paper_id"] for row in json.loads(found.data)] == papers["paper_id"].head(3).to_list()
