"""`paperlake ingest`: archived snapshot files into the lake, as one Prefect flow run."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from feeds import archive
from feeds.base import Payload
from flows.pipeline import load_payloads
from flows.reports import LoadReport
from lake import writes
from lake.store import Lake


@task(cache_policy=NO_CACHE)
def read_files(paths: list[Path], snapshot_date: date | None, fetched_at: datetime) -> list[Payload]:
    files = archive.list_snapshot_files(paths)
    payloads = [archive.read_payload(f, snapshot_date=snapshot_date, fetched_at=fetched_at) for f in files]
    get_run_logger().info("read %d snapshot file(s), %d bytes", len(payloads), sum(len(p.content) for p in payloads))
    return payloads


@flow(name="ingest")
def ingest_files(paths: list[str], lake_uri: str, snapshot_date: date | None = None) -> LoadReport:
    now = datetime.now(timezone.utc)
    lake = Lake(lake_uri)
    payloads = read_files([Path(p) for p in paths], snapshot_date, now)
    commit = writes.CommitInfo(
        operation="ingest",
        run_id=str(flow_run.id) if flow_run.id else None,
        feed=archive.NAME,
        snapshot_dates=tuple(p.snapshot_date for p in payloads),
    )
    return load_payloads(lake, payloads, commit, now)
