"""`paperlake maintain`: compact, vacuum and checkpoint every table, one task per table.

Run weekly (deploy/prefect.yaml): daily appends leave a few small files per table per day, and
vacuum is what lets the disk forget versions older than the time-travel window.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.artifacts import publish_maintenance_summary
from lake.maintenance import DEFAULT_RETENTION_DAYS, TableMaintenance, maintain_table
from lake.schemas import TABLES
from lake.store import Lake
from lake.writes import CommitInfo
from settings import resolve_lake_uri


@task(cache_policy=NO_CACHE, task_run_name="maintain-{table}")
def maintain_one(lake: Lake, table: str, retention_days: int, commit: CommitInfo) -> TableMaintenance:
    result = maintain_table(lake, table, commit, retention_days)
    get_run_logger().info("%s", result.summary_line())
    return result


def _run_name() -> str:
    return f"maintain-{datetime.now(timezone.utc).date().isoformat()}"


@flow(name="maintain", flow_run_name=_run_name)
def maintain(retention_days: int = DEFAULT_RETENTION_DAYS, lake_uri: str | None = None) -> list[TableMaintenance]:
    """Every table that exists; time travel keeps working for `retention_days` days."""
    if retention_days < 0:
        raise ValueError(f"retention_days must be 0 or more, not {retention_days}")
    lake = Lake(resolve_lake_uri(lake_uri))
    commit = CommitInfo("maintain", str(flow_run.id) if flow_run.id else None)
    present = [name for name in TABLES if lake.has_table(name)]
    if not present:
        get_run_logger().info("no tables in %s yet: nothing to maintain", lake.uri)
    results, failures = [], []
    for name in present:
        try:
            results.append(maintain_one(lake, name, retention_days, commit))
        except Exception as error:  # one table's trouble must not leave the others unmaintained
            failures.append(f"{name}: {error}")
    publish_maintenance_summary(results, retention_days)
    if failures:
        raise MaintenanceFailed(f"{len(failures)} table(s) not maintained (the others were): " + "; ".join(failures))
    return results


class MaintenanceFailed(RuntimeError):
    pass
