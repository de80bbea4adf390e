"""A run without a day fetches what is due: every day not final yet, through weeks of an injected clock."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.daily import FeedsFailed, daily
from lake.progress import table_versions
from paperlake.cli import app
from paperlake.replay import HF_PATH, Fault
from tests.conftest import assert_keys_unique
from tests.flows.artifact_lookup import artifacts_of_run, run_id_of
from tests.flows.live_fixtures import live, no_heartbeats, requested_days  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")


def at_six(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc)


def test_a_fresh_lake_fetches_the_settling_window_then_each_run_only_what_is_still_open(live, lake):
    state = daily(lake_uri=lake.uri, now=at_six(date(2024, 3, 14)), return_state=True)
    results = state.result()

    # Hugging Face: the 15 days still settling and today; arXiv: its 7 days up to yesterday (today is not announced).
    assert results["hf_daily"].days == [date(2024, 2, 28) + timedelta(days=n) for n in range(16)]
    assert results["arxiv"].days == [date(2024, 3, 6) + timedelta(days=n) for n in range(8)]
    days = lake.read("feed_days")
    assert days.height == 24 and set(days["status"]) == {"provisional", "final"}
    # The sample days landed whole; the empty days are known too, with no rows.
    rows = dict(days.filter(pl.col("feed") == "hf_daily").select("snapshot_date", "row_count").iter_rows())
    assert (rows[date(2024, 3, 11)], rows[date(2024, 3, 12)], rows[date(2024, 3, 13)], rows[date(2024, 3, 1)]) == (10, 10, 9, 0)
    summary = artifacts_of_run(run_id_of(state))["daily-summary"].data
    assert "## Feed-days" in summary and "| hf_daily | 2024-03-12 | new | 10 | provisional |" in summary
    assert "| arxiv | 2024-03-06 | new | 0 | final | yes |" in summary  # fetched 8 days after it began: settled

    since, versions = len(live.requests), table_versions(lake)
    daily(lake_uri=lake.uri, now=at_six(date(2024, 3, 14)) + timedelta(hours=1))
    # Nothing changed: every open day was fetched again and added nothing but its fetch count.
    assert {k: v for k, v in table_versions(lake).items() if k != "feed_days"} == {k: v for k, v in versions.items() if k != "feed_days"}
    assert len(requested_days(live, HF_PATH, since)) == len(lake.read("feed_days").filter((pl.col("feed") == "hf_daily") & (pl.col("status") != "final")))

    since = len(live.requests)
    daily(lake_uri=lake.uri, now=at_six(date(2024, 4, 10)))
    # After an outage of almost four weeks: every open day settles (fetched once more, unchanged for
    # weeks), and the days in between are caught up, each fetched once, provisional while young.
    hf_days = lake.read("feed_days").filter(pl.col("feed") == "hf_daily").sort("snapshot_date")
    assert hf_days["snapshot_date"].to_list() == [date(2024, 2, 28) + timedelta(days=n) for n in range(43)]
    assert set(hf_days.filter(pl.col("snapshot_date") <= date(2024, 3, 14))["status"]) == {"final"}
    assert set(hf_days.filter(pl.col("snapshot_date") > date(2024, 3, 14))["status"]) == {"provisional"}
    assert sorted(requested_days(live, HF_PATH, since)) == [str(d) for d in hf_days["snapshot_date"]]
    arxiv_days = lake.read("feed_days").filter(pl.col("feed") == "arxiv")
    assert arxiv_days["snapshot_date"].max() == date(2024, 4, 9)
    assert set(arxiv_days.filter(pl.col("snapshot_date") <= date(2024, 4, 2))["status"]) == {"final"}
    assert lake.read("papers").height == 30
    assert_keys_unique(lake)

    result = CliRunner().invoke(app, ["status", "--format", "csv", "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    assert "hf_daily,2024-03-14,16,27," in result.output  # final through Mar 14: 16 days final, 27 provisional
    assert "arxiv,2024-04-03,29,6," in result.output  # fetched 06:00 Apr 10: Apr 3 had settled at midnight
    days = CliRunner().invoke(app, ["status", "--days", "--format", "json", "--lake", lake.uri])
    assert days.exit_code == 0, days.output
    open_days = json.loads(days.output)
    assert len(open_days) == 27 + 6 and {d["feed"] for d in open_days} == {"hf_daily", "arxiv"}


def test_status_says_where_each_feed_stands_and_names_a_stuck_day(live, lake):
    daily(lake_uri=lake.uri, now=at_six(date(2024, 3, 14)))
    failing_day = "2024-03-14"
    live.script(HF_PATH, *[Fault.http_status(503, b"down")] * 2)
    with pytest.raises(FeedsFailed):
        daily(day=date(2024, 3, 14), feeds=["hf_daily"], lake_uri=lake.uri)

    result = CliRunner().invoke(app, ["status", "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    assert "provisional days" in result.output and "hf_daily" in result.output and "arxiv" in result.output
    days = CliRunner().invoke(app, ["status", "--days", "--format", "json", "--lake", lake.uri])
    [stuck] = [d for d in json.loads(days.output) if (d["feed"], d["snapshot_date"]) == ("hf_daily", failing_day)]
    assert stuck["problem"].startswith("last attempt failed: hf_daily 2024-03-14: gave up after 2 attempts: Service Unavailable: down (HTTP 503)")
    assert stuck["fetch_count"] == 1 and stuck["row_count"] == 0  # what the last good fetch saw is kept


def test_status_on_a_lake_no_live_feed_has_been_fetched_into_says_so(lake):
    from flows.ingest import ingest_files
    from tests.feeds.replay_fixtures import SAMPLES

    ingest_files([str(SAMPLES / "pages" / "2024-03-11.txt")], lake.uri)  # a lake, but of page copies only
    result = CliRunner().invoke(app, ["status", "--lake", lake.uri])
    assert result.exit_code == 1 and "no live feed has been fetched into" in " ".join(result.output.split())
