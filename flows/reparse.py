"""`paperlake reparse`: rebuild sightings and papers from the raw archive, without fetching."""

from __future__ import annotations

from datetime import date, datetime, timezone

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from feeds.base import Payload, payloads_from_frame
from flows.pipeline import Reparse, load_parsed
from flows.reports import LoadReport
from lake import snapshot_writes, writes
from lake.store import Lake


@task(cache_policy=NO_CACHE)
def read_archive(lake: Lake, selection: Reparse) -> list[Payload]:
    payloads = payloads_from_frame(snapshot_writes.archived_snapshots(lake, selection.feed, selection.since))
    get_run_logger().info("read %d archived snapshot(s) to reparse", len(payloads))
    return payloads


@flow(name="reparse")
def reparse_archive(lake_uri: str, feed: str | None = None, since: date | None = None) -> LoadReport:
    lake = Lake(lake_uri)
    selection = Reparse(feed, since)
    payloads = read_archive(lake, selection)
    commit = writes.CommitInfo(
        operation="reparse",
        run_id=str(flow_run.id) if flow_run.id else None,
        feed=feed,
        snapshot_dates=tuple(p.snapshot_date for p in payloads),
    )
    return load_parsed(lake, payloads, payloads, commit, datetime.now(timezone.utc), selection)
