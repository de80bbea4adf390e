"""Table maintenance: compact small files, vacuum what time travel no longer needs, checkpoint.

Every daily write appends a few small files, so a table read gets slower week by week. One
maintenance pass per table:

1. compaction rewrites the small files of the current version into few large ones (the rows do
   not change, the old files stay on disk as tombstones);
2. vacuum deletes the files no version inside the retention window reads, so time travel keeps
   working for `retention_days` and stops there;
3. a checkpoint at the latest version, then log cleanup, so opening the table reads one
   checkpoint instead of every commit's JSON.

Compaction and vacuum are commits and carry paperlake's commit metadata; the checkpoint and log
cleanup are not commits.
"""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import unquote

from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from lake.store import Lake
from lake.writes import CommitInfo

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_RETENTION_DAYS = 7
CONFLICT_ATTEMPTS = 30  # as many as writes get


class MaintenanceConflictError(RuntimeError):
    """A maintenance step lost to concurrent commits every time; the table is unchanged by it."""
# delta-rs deletes commit JSON older than this (Delta's default) when it cleans the log up.
DEFAULT_LOG_RETENTION_DAYS = 30
LOG_RETENTION_PROPERTY = "delta.logRetentionDuration"
_INTERVAL = re.compile(r"^\s*interval\s+(?P<count>\d+)\s+(?P<unit>hour|day|week)s?\s*$", re.IGNORECASE)
_UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7}


@dataclass(frozen=True)
class FileStats:
    """Data files and their bytes: `live` ones make up the current version, `stored` ones are all
    files on disk (also the older versions kept for time travel; None for object stores)."""

    live_file_count: int
    live_byte_count: int
    stored_file_count: int | None
    stored_byte_count: int | None


@dataclass(frozen=True)
class TableMaintenance:
    """What one maintenance pass did to one table."""

    table: str
    version_before: int
    version_after: int
    before: FileStats
    after: FileStats
    compacted_file_count: int  # small files compaction replaced
    written_file_count: int  # files compaction wrote in their place
    vacuumed_file_count: int  # files deleted from storage
    retention_days: int

    def summary_line(self) -> str:
        """One log line: what changed, in files and bytes."""
        return (
            f"{self.table}: live files {self.before.live_file_count} -> {self.after.live_file_count} "
            f"({self.before.live_byte_count} -> {self.after.live_byte_count} bytes), compacted {self.compacted_file_count} "
            f"into {self.written_file_count}, vacuumed {self.vacuumed_file_count} file(s) older than {self.retention_days} day(s), "
            f"version {self.version_before} -> {self.version_after}"
        )


def maintain_table(lake: Lake, name: str, commit: CommitInfo, retention_days: int = DEFAULT_RETENTION_DAYS) -> TableMaintenance:
    """Compact, vacuum (keeping `retention_days` of time travel), checkpoint and clean the log of one table."""
    if retention_days < 0:
        raise ValueError(f"retention_days must be 0 or more, not {retention_days}")
    table = lake.delta(name)
    version_before, before = table.version(), file_stats(table)
    # Each step reads the table afresh: an ingest may have committed since the step before.
    fresh(lake, name, lambda t: _keep_log_for(t, retention_days, commit))
    compaction = fresh(lake, name, lambda t: t.optimize.compact(commit_properties=commit.properties()))
    vacuumed = fresh(lake, name, lambda t: vacuum(t, retention_days, commit))
    # After vacuum, so the checkpoint covers the latest version and log cleanup may drop the JSON before it.
    table = fresh(lake, name, _checkpoint)
    return TableMaintenance(
        table=name,
        version_before=version_before,
        version_after=table.version(),
        before=before,
        after=file_stats(table),
        compacted_file_count=compaction.get("numFilesRemoved", 0),
        written_file_count=compaction.get("numFilesAdded", 0),
        vacuumed_file_count=len(vacuumed),
        retention_days=retention_days,
    )


def fresh(lake: Lake, name: str, step: Callable[[DeltaTable], T]) -> T:
    """Run `step` on the table as it is now; after losing to a concurrent commit, read it again and redo it.

    Compaction reads files a concurrent MERGE may remove: delta-rs then refuses the commit
    ("a concurrent transaction deleted data this operation read"), and redoing it from a fresh
    read is correct, as writes do (lake/writes.py `committing`).
    """
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return step(lake.delta(name))
        except CommitFailedError as err:
            if attempt == CONFLICT_ATTEMPTS:
                raise MaintenanceConflictError(
                    f"maintain {name!r} in {lake.uri}: {attempt} attempts met concurrent commits ({str(err).splitlines()[0]})"
                ) from None
            log.info("maintain %r lost to a concurrent commit; redoing from a fresh read (attempt %d)", name, attempt + 1)
            time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _checkpoint(table: DeltaTable) -> DeltaTable:
    table.create_checkpoint()
    table.cleanup_metadata()
    return table


def vacuum(table: DeltaTable, retention_days: int, commit: CommitInfo) -> list[str]:
    """Delete the files no version of the last `retention_days` reads; returns their paths.

    A file is deleted once the commit that removed it is older than the retention, so every version
    committed inside the window still finds all its files. The retention is paperlake's setting, so
    the table's own minimum (a week by default) must not veto a shorter one.
    """
    return table.vacuum(
        retention_hours=retention_days * 24,
        dry_run=False,
        enforce_retention_duration=False,
        commit_properties=commit.properties(),
    )


def file_stats(table: DeltaTable) -> FileStats:
    sizes = _column(table.get_add_actions(), "size_bytes")
    stored = _stored_files(table.table_uri)
    return FileStats(
        live_file_count=len(sizes),
        live_byte_count=int(sum(sizes)),
        stored_file_count=None if stored is None else len(stored),
        stored_byte_count=None if stored is None else sum(stored),
    )


def _column(arrow_table, name: str) -> list[int]:
    """A column as Python values; get_add_actions returns an arro3 table, which pyarrow reads without a copy."""
    import pyarrow as pa

    return pa.table(arrow_table).column(name).to_pylist()


def _stored_files(table_uri: str) -> list[int] | None:
    """Sizes of every data file under a local table folder; None for object stores (no cheap listing here)."""
    if "://" in table_uri and not table_uri.startswith("file://"):
        return None
    root = Path(unquote(table_uri.removeprefix("file://")))
    return [p.stat().st_size for p in root.rglob("*.parquet") if "_delta_log" not in p.parts]


def _keep_log_for(table: DeltaTable, retention_days: int, commit: CommitInfo) -> None:
    """Time travel needs the commit log as far back as the data files: raise the log retention to match.

    Only ever raised, never lowered, so a longer retention someone set on the table stays.
    """
    current = log_retention_days(table)
    if current is None or current >= retention_days:
        return
    table.alter.set_table_properties(
        {LOG_RETENTION_PROPERTY: f"interval {retention_days} days"}, commit_properties=commit.properties()
    )


def log_retention_days(table: DeltaTable) -> float | None:
    """The table's log retention in days; None when set to something this module cannot read."""
    value = table.metadata().configuration.get(LOG_RETENTION_PROPERTY)
    if value is None:
        return DEFAULT_LOG_RETENTION_DAYS
    match = _INTERVAL.match(value)
    return int(match["count"]) * _UNIT_DAYS[match["unit"].lower()] if match else None
