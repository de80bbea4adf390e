"""Why a table version cannot be read: vacuumed by `maintain`, or damaged (a data file deleted).

Both show up as data files the Delta log lists but storage no longer has. The reader would fail
deep inside Polars or DuckDB with a cut path; this module names the table, the file and the
versions that can still be read instead.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from deltalake import DeltaTable

from lake.store import DamagedTableError, LakeDeltaTable, VacuumedVersionError, missing_data_files

VACUUM_OPERATIONS = ("VACUUM START", "VACUUM END")


def unreadable_version_error(
    table: DeltaTable, name: str, lake_uri: str, table_uri: str, storage_options, latest_version: int, missing: list[str]
) -> DamagedTableError | VacuumedVersionError:
    version = table.version()
    first_missing = os.path.basename(missing[0])
    count = f"{len(missing)} data file(s) missing, e.g. {first_missing}"
    if version == latest_version:
        return DamagedTableError(
            f"table {name!r} in {lake_uri} is damaged and cannot be read: {count} (deleted outside paperlake?). "
            f"paperlake writes nothing into it until it is readable again: restore the file from a backup, or "
            f"drop the missing files' entries with deltalake's DeltaTable.repair() (their rows are then lost)"
        )
    readable = readable_versions(table_uri, storage_options, latest_version)
    vacuumed_at = _last_vacuum_at(table_uri, storage_options)
    why = (
        f"`paperlake maintain` vacuumed its data files on {vacuumed_at} (time travel is kept for the retention, "
        f"--retention-days / $PAPERLAKE_RETENTION_DAYS)"
        if vacuumed_at
        else "its data files were deleted outside paperlake"
    )
    can_read = (
        f"versions {readable[0]}..{readable[1]} can still be read" if readable else "no version of it can be read"
    )
    return VacuumedVersionError(f"table {name!r} version {version} cannot be read: {why}; {count}; {can_read}")


def readable_versions(table_uri: str, storage_options, latest_version: int) -> tuple[int, int] | None:
    """The newest run of versions whose files are all there, as (oldest, newest); None if the latest is not."""
    oldest = None
    for version in range(latest_version, -1, -1):
        try:
            table = LakeDeltaTable(table_uri, version=version, storage_options=storage_options)
        except Exception:  # the log before a checkpoint was cleaned up: that version cannot be loaded at all
            break
        if missing_data_files(table):
            break
        oldest = version
    return None if oldest is None else (oldest, latest_version)


def _last_vacuum_at(table_uri: str, storage_options) -> str | None:
    history = LakeDeltaTable(table_uri, storage_options=storage_options).history()
    times = [entry["timestamp"] for entry in history if entry.get("operation") in VACUUM_OPERATIONS]
    if not times:
        return None
    return datetime.fromtimestamp(max(times) / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


_OS_CAUSE = re.compile(r"[A-Za-z][^:\n()]*\(os error \d+\)")


def first_line_with_cause(err: BaseException) -> str:
    """The error's first line, plus the operating system's cause when delta-rs put it further down or in a
    chained error (`Generic LocalFileSystem error` alone hides `No space left on device (os error 28)`)."""
    texts, cause = [], err
    while cause is not None and len(texts) < 8:
        texts.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    text = "\n".join(texts).strip()
    first = (text.splitlines() or [type(err).__name__])[0]
    found = _OS_CAUSE.search(text)
    if found and found.group(0).strip() not in first:
        first = f"{first}: {found.group(0).strip()}"
    return first


def check_writable(lake, table: str) -> None:
    """Refuse a write while the lake has a damaged table: the target itself always, every table on a
    lake object's first write. Writing into the readable tables alone would put them out of step
    (sightings appended, then papers refused)."""
    from lake.schemas import TABLES

    names = [table] if getattr(lake, "_tables_checked", False) else [table, *(name for name in TABLES if name != table)]
    for name in names:
        if lake.has_table(name):
            lake.delta(name)  # raises DamagedTableError naming the table and the missing file
    mark_tables_checked(lake)


def mark_tables_checked(lake) -> None:
    """Every table of `lake` was just opened (which raises for a damaged one): its later writes check their own table only."""
    lake._tables_checked = True
