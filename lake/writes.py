"""How every write to the lake is made: one commit with paperlake's metadata attached, redone after
a conflicting concurrent commit; and the writes every table shares (append, append what is missing, MERGE).

Each write checks what is already there before writing, so re-running any step after a crash or
on the same input changes nothing (delta-rs does not skip writes by itself). Creating the tables is
lake/table_setup.py's; each table's own writes are in lake/snapshot_writes.py, lake/sighting_writes.py,
lake/quarantine_writes.py and lake/papers.py.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, TypeVar

import polars as pl
from deltalake import CommitProperties, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError

from lake.store import Lake
from lake.table_spec import TableSpec


@dataclass(frozen=True)
class CommitInfo:
    """What a commit records so `history` leads back to the run that wrote it."""

    operation: str
    run_id: str | None = None
    feed: str | None = None
    snapshot_dates: tuple[date, ...] = field(default_factory=tuple)

    def properties(self, guard: Transaction | None = None) -> CommitProperties:
        from settings import __version__

        dates = sorted(set(self.snapshot_dates))
        metadata = {
            "paperlake.operation": self.operation,
            "paperlake.version": __version__,
            "paperlake.run_id": self.run_id or "",
            "paperlake.feed": self.feed or "",
            "paperlake.snapshot_dates": f"{dates[0]}..{dates[-1]}" if len(dates) > 1 else (str(dates[0]) if dates else ""),
        }
        return CommitProperties(custom_metadata=metadata, app_transactions=[guard] if guard else None)


log = logging.getLogger(__name__)

# Concurrent runs: delta-rs refuses a commit when a commit that landed since its read could change
# what it wrote (CommitFailedError). The write is then redone from a fresh read: every write here
# checks what is there first, so a redo adds only what is still missing.
COMMIT_ATTEMPTS = 30
COMMIT_BACKOFF_SECONDS = 0.05
COMMIT_BACKOFF_MAX_SECONDS = 2.0

T = TypeVar("T")


class LakeWriteError(RuntimeError):
    """A write that did not land (storage fault, too many conflicts); the message names the table."""


def committing(lake: Lake, table: str, write: Callable[[], T]) -> T:
    """Run `write` (one commit to `table`), redoing it after a conflicting concurrent commit.

    Storage faults (read-only folder, full disk, denied bucket) become a LakeWriteError naming the
    table: delta-rs commits last, so a failed write leaves the table at its last version.
    """
    from lake.health import check_writable

    check_writable(lake, table)  # a damaged table (a data file gone) raises here: nothing is written
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return write()
        except CommitFailedError as err:
            log.info("commit to table %r lost to a concurrent commit; redoing it (attempt %d)", table, attempt + 1)
            if attempt == COMMIT_ATTEMPTS:
                raise LakeWriteError(f"could not commit to table {table!r} in {lake.uri}: {attempt} attempts met concurrent commits ({err})") from None
            time.sleep(min(COMMIT_BACKOFF_MAX_SECONDS, COMMIT_BACKOFF_SECONDS * 2 ** min(attempt, 6)) * random.uniform(0.5, 1.0))
        except (DeltaError, OSError) as err:
            raise LakeWriteError(f"could not write table {table!r} in {lake.uri}: {_with_cause(err)}") from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _with_cause(err: Exception) -> str:
    from lake.health import first_line_with_cause

    return first_line_with_cause(err)


def table_version(lake: Lake, name: str) -> int | None:
    return lake.delta(name).version() if lake.has_table(name) else None


def append(lake: Lake, spec: TableSpec, rows: pl.DataFrame, commit: CommitInfo) -> int:
    if rows.is_empty():
        return 0
    committing(lake, spec.name, lambda: write_deltalake(
        lake.table_uri(spec.name),
        spec.conform(rows).to_arrow(),
        mode="append",
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    ))
    return rows.height


def append_missing(lake: Lake, spec: TableSpec, missing: Callable[[pl.LazyFrame], pl.DataFrame], commit: CommitInfo) -> int:
    """Append `missing(table)`: the rows the table lacks, checked and appended at one table version.

    Two runs may both find the same rows missing. Each such append carries the same Delta app
    transaction id, so the second commit fails as a conflict and is redone: its fresh check then
    finds the rows there, and the rows land once.
    """

    def check_and_append() -> int:
        table = lake.delta(spec.name)
        rows = missing(pl.scan_delta(table))
        if rows.is_empty():
            return 0
        guard = Transaction(f"paperlake.append.{spec.name}", table.version() + 1)
        write_deltalake(
            table, spec.conform(rows).to_arrow(), mode="append", storage_options=lake.storage_options,
            commit_properties=commit.properties(guard),
        )
        return rows.height

    return committing(lake, spec.name, check_and_append)


def upsert(
    lake: Lake, spec: TableSpec, rows: pl.DataFrame, commit: CommitInfo, columns: list[str] | None = None, target_filter: str | None = None
) -> dict:
    """MERGE on the table's key: update matched rows (all columns, or `columns`), insert new ones.

    `target_filter` (SQL on `t.`) must hold for every stored row of the keys merged: file stats then
    skip the files it excludes, which the MERGE would otherwise read.
    """
    if rows.is_empty():
        return {}
    key = list(spec.key)
    if rows.select(key).is_duplicated().any():
        raise ValueError(f"table {spec.name}: merge source has duplicate keys {key}; dedupe it first")
    predicate = " AND ".join([f"t.{k} = s.{k}" for k in key] + ([target_filter] if target_filter else []))
    source = (spec.conform(rows) if columns is None else rows.select(key + columns)).to_arrow()

    def merge() -> dict:
        merger = lake.delta(spec.name).merge(
            source, predicate, source_alias="s", target_alias="t", commit_properties=commit.properties()
        )
        if columns is None:
            return merger.when_matched_update_all().when_not_matched_insert_all().execute()
        return merger.when_matched_update({c: f"s.{c}" for c in columns}).execute()

    return committing(lake, spec.name, merge)
