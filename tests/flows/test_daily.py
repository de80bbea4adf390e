"""The daily flow against a real HTTP server on 127.0.0.1 replaying the sample feeds."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.daily import FeedsFailed, daily
from flows.ingest import ingest_files
from lake.progress import table_versions
from paperlake.cli import app
from paperlake.replay import ARXIV_PATH, ATOM_TYPE, HF_PATH, Fault, arxiv_error_feed
from tests.conftest import assert_keys_unique
from tests.feeds.replay_fixtures import SAMPLES
from tests.flows.artifact_lookup import artifacts_of_run, run_id_of
from tests.flows.live_fixtures import MAR_11, MAR_12, MAR_13, SAMPLE_DATES, live, no_heartbeats, requested_days, small_pages  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")


def rows_per_feed_day(lake) -> dict[tuple[str, int], int]:
    counts = lake.read("sightings").group_by("feed", pl.col("snapshot_date").dt.day()).len()
    return {(feed, day): n for feed, day, n in counts.iter_rows()}


def ingest_sample_pages(lake) -> None:
    for day in SAMPLE_DATES:
        ingest_files([str(SAMPLES / "pages" / f"{day}.txt")], lake.uri, day)


def test_three_sample_days_land_per_feed_and_title_only_pages_join_their_arxiv_papers(live, lake):
    for day in SAMPLE_DATES:
        results = daily(day, lake_uri=lake.uri)
        assert {name: r.report.snapshots[0].status for name, r in results.items()} == {"hf_daily": "ok", "arxiv": "ok"}
    ingest_sample_pages(lake)

    assert rows_per_feed_day(lake) == {
        ("hf_daily", 11): 10, ("hf_daily", 12): 10, ("hf_daily", 13): 9,
        # The 13th lists its 4 submissions and 2 replacements: v2s of papers first submitted on the 11th.
        ("arxiv", 11): 6, ("arxiv", 12): 5, ("arxiv", 13): 6,
        ("archive", 11): 5, ("archive", 12): 5, ("archive", 13): 5,
    }
    sightings = lake.read("sightings")
    assert sightings.schema["paper_id"] == pl.String and sightings.schema["arxiv_id"] == pl.String
    arxiv_rows = sightings.filter(pl.col("feed") == "arxiv")
    assert "2403.06130" in arxiv_rows["arxiv_id"].to_list()  # the trailing zero a float would drop
    assert arxiv_rows["arxiv_version"].null_count() == 0
    assert dict(arxiv_rows.select("arxiv_id", "arxiv_version").iter_rows())["2403.06599"] == 2
    # Every page title is also listed with its arXiv id: the title-only sightings take that id.
    assert sightings.filter(pl.col("feed") == "archive")["arxiv_id"].null_count() == 0
    papers = lake.read("papers")
    assert papers.height == 30 and papers["arxiv_id"].null_count() == 0
    assert not papers["paper_id"].str.starts_with("title:").any()
    proofs = papers.filter(pl.col("arxiv_id") == "2403.05017").row(0, named=True)
    assert (proofs["feeds"], proofs["days_seen"], proofs["sighting_count"]) == (["archive", "hf_daily"], 3, 6)
    three_feeds = papers.filter(pl.col("feeds").list.len() == 3)["arxiv_id"].sort().to_list()
    assert three_feeds == ["2403.06130", "2403.06241", "2403.06377", "2403.06954", "2403.07038"]

    versions = table_versions(lake)
    again = daily(MAR_12, lake_uri=lake.uri)
    assert {r.report.snapshots[0].status for r in again.values()} == {"skipped"}
    pages_again = ingest_files([str(SAMPLES / "pages")], lake.uri)
    assert {s.status for s in pages_again.snapshots} == {"skipped"}
    assert table_versions(lake) == versions
    assert lake.read("papers").height == 30
    assert_keys_unique(lake)


FEED_FAILURES = {
    "hf 404": ("hf_daily", HF_PATH, [Fault.http_status(404, b"no listing for that day")], "Not Found: no listing for that day (HTTP 404)"),
    "hf 503 every time": (
        "hf_daily", HF_PATH, [Fault.http_status(503, b"busy")] * 2, "gave up after 2 attempts: Service Unavailable: busy (HTTP 503)",
    ),
    "arXiv Error entry": (
        "arxiv", ARXIV_PATH, [Fault.serve(arxiv_error_feed("malformed search_query"), ATOM_TYPE)],
        "arXiv API error: malformed search_query (HTTP 200)",
    ),
    "arXiv Rate exceeded.": (
        "arxiv", ARXIV_PATH, [Fault.serve(b"Rate exceeded.")] * 2, "gave up after 2 attempts: throttled: 'Rate exceeded.' (HTTP 200)",
    ),
}


@pytest.mark.parametrize(("feed", "path", "faults", "reason"), list(FEED_FAILURES.values()), ids=list(FEED_FAILURES))
def test_a_failing_feed_commits_nothing_the_other_lands_and_the_run_fails_naming_it(live, lake, feed, path, faults, reason):
    other = {"hf_daily": "arxiv", "arxiv": "hf_daily"}[feed]
    live.script(path, *faults)

    state = daily(MAR_12, lake_uri=lake.uri, return_state=True)

    error = state.result(raise_on_failure=False)
    assert isinstance(error, FeedsFailed)
    assert str(error).startswith(f"daily 2024-03-12: 1 of 2 feed(s) failed: {feed} 2024-03-12: {reason} GET {live.base_url}{path}?")
    assert list(error.failures) == [feed] and set(error.results) == {feed, other}
    assert error.results[feed].fetched.payloads == {} and error.results[other].report.sighting_count > 0
    assert set(lake.read("snapshots")["feed"]) == {other}
    assert set(lake.read("sightings")["feed"]) == {other}
    summary = artifacts_of_run(run_id_of(state))["daily-summary"].data
    assert f"| {other} | ok |" in summary and f"| {feed} | failed: {feed} 2024-03-12: " in summary

    again = daily(MAR_12, lake_uri=lake.uri)  # the server answers normally now
    assert again[feed].report.snapshots[0].status == "ok" and again[feed].report.sighting_count > 0
    assert again[other].report.snapshots[0].status == "skipped"
    assert set(lake.read("snapshots")["feed"]) == {"hf_daily", "arxiv"}
    assert_keys_unique(lake)


def test_a_failure_on_page_3_commits_nothing_and_the_next_run_fetches_the_day_cleanly(live, lake, monkeypatch):
    small_pages(monkeypatch, 4)
    daily(MAR_11, ["hf_daily"], lake.uri)
    versions = table_versions(lake)
    live.script(HF_PATH, None, None, Fault.http_status(404, b"page gone"))
    since = len(live.requests)

    with pytest.raises(FeedsFailed) as caught:
        daily(MAR_12, ["hf_daily"], lake.uri)

    assert "hf_daily 2024-03-12: Not Found: page gone (HTTP 404)" in str(caught.value) and "&p=2&limit=4" in str(caught.value)
    assert [r.params["p"] for r in live.requests[since:]] == ["0", "1", "2"]
    # Not one commit of data, not even the raw pages; only feed_days records the failure, for `status`.
    assert {k: v for k, v in table_versions(lake).items() if k != "feed_days"} == {k: v for k, v in versions.items() if k != "feed_days"}
    assert MAR_12 not in lake.read("snapshots")["snapshot_date"].to_list()
    failed_day = lake.read("feed_days").filter(pl.col("snapshot_date") == MAR_12).row(0, named=True)
    assert failed_day["status"] == "provisional" and failed_day["fetch_count"] == 0 and "page gone (HTTP 404)" in failed_day["last_error"]

    results = daily(MAR_12, ["hf_daily"], lake.uri)

    assert results["hf_daily"].report.sighting_count == 10
    [stored] = lake.read("snapshots").filter(pl.col("snapshot_date") == MAR_12).to_dicts()
    assert json.loads(stored["content"]) == json.loads((SAMPLES / "hf_daily" / "2024-03-12.json").read_bytes())
    assert rows_per_feed_day(lake) == {("hf_daily", 11): 10, ("hf_daily", 12): 10}
    assert_keys_unique(lake)


def test_the_same_content_fetched_again_adds_no_snapshot_row(live, lake):
    daily(MAR_13, lake_uri=lake.uri)
    snapshots, versions = lake.read("snapshots"), table_versions(lake)
    since = len(live.requests)

    again = daily(MAR_13, lake_uri=lake.uri)

    assert requested_days(live, HF_PATH, since) == requested_days(live, ARXIV_PATH, since) == ["2024-03-13"]  # fetched again
    assert {name: [s.status for s in r.report.snapshots] for name, r in again.items()} == {"hf_daily": ["skipped"], "arxiv": ["skipped"] * 2}
    assert lake.read("snapshots").sort("snapshot_id").equals(snapshots.sort("snapshot_id"))
    assert table_versions(lake) == versions
    assert_keys_unique(lake)


def test_run_command_prints_each_feed_day_and_exits_1_naming_the_failed_feed(live, lake):
    live.script(ARXIV_PATH, Fault.http_status(404, b"gone"))

    result = CliRunner().invoke(app, ["run", "--date", "2024-03-11", "--lake", lake.uri])

    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())  # whatever the width it was wrapped at
    assert "hf_daily 2024-03-11: 1 day(s) fetched (1 changed, 1 became final), 21,562 bytes in" in output
    assert "10 sightings written" in output
    assert "failed: arxiv 2024-03-11: Not Found: gone (HTTP 404)" in output
    assert "The other feed-days landed; the next run fetches the failed ones again" in output

    result = CliRunner().invoke(app, ["run", "--date", "2024-03-11", "--feeds", "arxiv", "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "arxiv 2024-03-11: 1 day(s) fetched (1 changed, 1 became final)" in output and "6 sightings written" in output


def test_run_command_refuses_an_unknown_feed_before_any_work(lake):
    result = CliRunner().invoke(app, ["run", "--feeds", "hf_daily,rss", "--lake", lake.uri])
    assert result.exit_code == 2
    assert "unknown feed(s) rss" in result.output
    assert not lake.has_table("snapshots")
