"""`paperlake ingest`: archived snapshot files into the lake, as one Prefect flow run.

Files are loaded in chunks of CHUNK_FILE_COUNT, in name order: a year of daily page copies is two
loads (a few commits per table each), and a longer range costs one load per chunk, so memory stays
that of one chunk however many files are given.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from feeds import archive
from feeds.base import Payload
from flows.pipeline import load_payloads
from flows.reports import BatchesRejected, LoadReport
from flows.write_steps import publish_loads_validation
from lake import writes
from lake.store import Lake

# Half a year of daily files a load. A load's peak memory is the interpreter and its libraries (about
# 470 MB with Prefect's run and Great Expectations) plus about 1.5 MB a page copy: a year in one load
# peaked at 1.05 GB, in two at 0.85 GB (issue 14: within 1.5x of the bare floor), for about 1.5 s of CPU
# a load more (its Great Expectations passes, commits and task runs).
CHUNK_FILE_COUNT = 200


@task(cache_policy=NO_CACHE)
def read_files(paths: list[Path], snapshot_date: date | None, fetched_at: datetime) -> list[Payload]:
    files = archive.list_snapshot_files(paths)
    payloads = [archive.read_payload(f, snapshot_date=snapshot_date, fetched_at=fetched_at) for f in files]
    get_run_logger().info("read %d snapshot file(s), %d bytes", len(payloads), sum(len(p.content) for p in payloads))
    return payloads


@flow(name="ingest")
def ingest_files(paths: list[str], lake_uri: str, snapshot_date: date | None = None) -> LoadReport:
    """Every file given (folders: every file below), one load per chunk; a rejected feed-day stops no other chunk."""
    now = datetime.now(timezone.utc)
    lake = Lake(lake_uri)
    files = archive.list_snapshot_files([Path(p) for p in paths])
    reports, rejected = [], False
    for start in range(0, max(len(files), 1), CHUNK_FILE_COUNT):
        payloads = read_files(files[start : start + CHUNK_FILE_COUNT], snapshot_date, now)
        commit = writes.CommitInfo(
            operation="ingest",
            run_id=str(flow_run.id) if flow_run.id else None,
            feed=archive.feed_of(payloads),
            snapshot_dates=tuple(p.snapshot_date for p in payloads),
        )
        try:
            reports.append(load_payloads(lake, payloads, commit, now, publish_docs=False))
        except BatchesRejected as error:  # those feed-days committed nothing; the rest of the chunk landed
            reports.append(error.report)
            rejected = True
        del payloads  # the next chunk's texts replace these, not join them
    report = combined(reports)
    publish_loads_validation(lake, [report])  # one Data Docs build for every chunk
    if rejected:
        raise BatchesRejected(report)
    return report


def combined(reports: list[LoadReport]) -> LoadReport:
    """The loads of several chunks as one report: counts added up, lists joined, the last versions."""
    if len(reports) == 1:
        return reports[0]
    ambiguous = [r.ambiguous_titles for r in reports if r.ambiguous_titles.height]
    last = reports[-1]
    return LoadReport(
        snapshots=[s for r in reports for s in r.snapshots],
        sighting_count=sum(r.sighting_count for r in reports),
        quarantined_count=sum(r.quarantined_count for r in reports),
        new_paper_count=sum(r.new_paper_count for r in reports),
        updated_paper_count=sum(r.updated_paper_count for r in reports),
        relinked_paper_count=sum(r.relinked_paper_count for r in reports),
        new_paper_ids=[p for r in reports for p in r.new_paper_ids],
        ambiguous_titles=pl.concat(ambiguous, how="diagonal_relaxed") if ambiguous else pl.DataFrame(),
        rejections=[m for r in reports for m in r.rejections],
        validation=[v for r in reports for v in r.validation],
        table_versions=last.table_versions,
        docs_index=next((r.docs_index for r in reversed(reports) if r.docs_index), None),
        gate_results=[g for r in reports for g in r.gate_results],
    )
