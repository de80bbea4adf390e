"""A backfill on a local Dask cluster (prefect-dask's DaskTaskRunner) lands the same lake as the default serial run.

The flow submits its fetches to its task runner and loads in the flow process, so a Dask cluster
spreads the fetches (network and parsing of the HTTP response) over its worker processes; the loads
stay one at a time. Both runs are timed and printed (`pytest -s`): README, "Running in production".
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import polars as pl
import pytest

from flows.backfill import backfill
from lake.schemas import TABLES
from lake.store import Lake
from paperlake.replay import ReplayServer
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats, point_feeds_at, sample_days  # noqa: F401

pytest.importorskip("prefect_dask")
pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

FIRST_DATE = date(2024, 3, 11)
DAY_COUNT = 10
LAST_DATE = FIRST_DATE + timedelta(days=DAY_COUNT - 1)


@pytest.fixture
def ten_days(tmp_path, monkeypatch):
    with ReplayServer(sample_days(tmp_path / "samples", FIRST_DATE, DAY_COUNT)) as server:
        # Set as environment variables, so the Dask worker processes (started after this) see them too.
        point_feeds_at(monkeypatch, server.base_url)
        yield server


@pytest.fixture
def cluster():
    """Two worker processes, one thread each: what a cluster of machines does (tasks and results are pickled)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        with Client(local) as client:
            yield client


def fetch_transitions_on(client) -> int:
    """State transitions of fetch tasks on the cluster's scheduler (prefect-dask names Dask keys after the task):
    zero if no fetch went to the cluster, several per fetch that did."""
    counts = client.run_on_scheduler(
        lambda dask_scheduler: {name: sum(p.state_counts.values()) for name, p in dask_scheduler.task_prefixes.items()}
    )
    return sum(count for name, count in counts.items() if name.startswith("fetch"))


# A paper's counts are its latest fetch's. The replay serves each day's counts as they were that day,
# so which of a batch's days was fetched last (the cluster's order, not the calendar's) picks them:
# compared with each lake's own latest observation instead (assert_counts_are_the_latest_fetch).
COUNT_COLUMNS = ("upvotes", "comment_count")
# The tables derived from papers carry those counts too (authors, author_papers, topics).
FOLLOWS_COUNTS = {"upvotes", "comment_count", "upvote_count"}


def comparable(lake: Lake, name: str) -> pl.DataFrame:
    """The table without what differs between two loads of the same payloads: when (timestamps), by which
    run, and (papers and what is derived from it) the counts of whichever day was fetched last."""
    frame = lake.read(name)
    frame = frame.drop([c for c, dtype in frame.schema.items() if dtype.base_type() == pl.Datetime or c == "run_id"])
    if name not in ("sightings", "snapshots"):
        frame = frame.drop([c for c in frame.columns if c in FOLLOWS_COUNTS])
    return frame.sort(list(TABLES[name].key))


def assert_counts_are_the_latest_fetch(lake: Lake) -> None:
    latest = (
        lake.read("sightings").filter(pl.col("upvotes").is_not_null())
        .sort("fetched_at", "snapshot_date", "snapshot_id")
        .group_by("paper_id").agg(pl.col(c).last() for c in COUNT_COLUMNS)
    )
    papers = lake.read("papers").filter(pl.col("upvotes").is_not_null()).select("paper_id", *COUNT_COLUMNS)
    assert latest.height > 0 and latest.sort("paper_id").equals(papers.sort("paper_id"))


def timed_backfill(lake: Lake, **options) -> tuple[float, object]:
    flow = backfill.with_options(**options) if options else backfill
    started = time.perf_counter()
    report = flow(FIRST_DATE, LAST_DATE, lake_uri=lake.uri, batch_day_count=5)
    return time.perf_counter() - started, report


def test_a_backfill_on_a_local_dask_cluster_lands_the_same_lake_as_a_serial_one(ten_days, cluster, tmp_path, record_property):
    from prefect_dask import DaskTaskRunner

    serial_lake, dask_lake = Lake(str(tmp_path / "serial")), Lake(str(tmp_path / "dask"))

    serial_seconds, serial = timed_backfill(serial_lake)
    # A running cluster, as in production (`dask scheduler` / `dask worker` on other machines): its start is not timed.
    dask_seconds, on_dask = timed_backfill(dask_lake, task_runner=DaskTaskRunner(address=cluster.scheduler_info()["address"]))

    assert fetch_transitions_on(cluster) >= 2 * DAY_COUNT  # the fetches went to the cluster's processes

    assert {o.status for o in on_dask.outcomes} == {"landed"} and len(on_dask.outcomes) == 2 * DAY_COUNT
    assert on_dask.commit_counts == serial.commit_counts  # the same loads, batch by batch
    for name in TABLES:
        a, b = comparable(dask_lake, name), comparable(serial_lake, name)
        differing = [c for c in a.columns if not a[c].equals(b[c])]
        assert a.equals(b), f"{name} differs between the runs in {differing}: {a.select(differing).head(3)} {b.select(differing).head(3)}"
    assert_keys_unique(dask_lake)
    for lake in (serial_lake, dask_lake):
        assert_counts_are_the_latest_fetch(lake)

    figures = {"serial_seconds": round(serial_seconds, 2), "dask_2_processes_seconds": round(dask_seconds, 2)}
    record_property("backfill_seconds", figures)
    print(f"backfill of {DAY_COUNT} days x 2 feeds:", figures)
