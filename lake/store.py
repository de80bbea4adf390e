"""Where the tables live and how to read them."""

from __future__ import annotations

import os
import sys
import threading
from datetime import datetime, timezone
from urllib.parse import unquote

import polars as pl
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from lake import storage
from lake.schemas import TABLES
from lake.table_spec import TableSpec

AsOf = int | str | datetime | None


class TimeTravelError(ValueError):
    """A version or time a table cannot be read at."""


class NotCreatedYetError(TimeTravelError):
    """The table was created after the time asked for: it had no rows then."""


def parse_as_of(text: str | int | datetime | None) -> int | datetime | None:
    """`--as-of`: a version number, or an ISO 8601 date or date-time (without a zone it means UTC).

    Delta commit times are UTC, and `paperlake history` prints them so; a bare date means 00:00 UTC.
    """
    if text is None or isinstance(text, int):
        return _checked_version(text)
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    cleaned = text.strip()
    if cleaned.lstrip("-").isdigit():
        return _checked_version(int(cleaned))
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        raise TimeTravelError(
            f"--as-of {text!r} is neither a version number nor a date/time such as 2024-03-12 or 2024-03-12T08:30:00Z"
        ) from None
    return parse_as_of(moment)


def _checked_version(version: int | None) -> int | None:
    if version is not None and version < 0:
        raise TimeTravelError(f"a table version is 0 or more, not {version}")
    return version


class DamagedTableError(FileNotFoundError):
    """A table whose log lists data files that are gone: it cannot be read, so nothing is written into it."""


class VacuumedVersionError(TimeTravelError):
    """An old version whose data files vacuum deleted (time travel is kept only inside the retention)."""


class LakeDeltaTable(DeltaTable):
    """A DeltaTable whose local file paths are plain paths.

    delta-rs percent-encodes them (`/data/my%20lake/...`), and readers that get them (Polars,
    pyarrow) look for a folder that does not exist: a lake path with a space or a non-ASCII
    character must be used as given.
    """

    def file_uris(self, partition_filters=None) -> list[str]:
        return [uri if "://" in uri else unquote(uri) for uri in super().file_uris(partition_filters)]


def missing_data_files(table: DeltaTable) -> list[str]:
    """Data files of the loaded version that are not on disk; always [] for object stores (no cheap check)."""
    return [path for path in table.file_uris() if "://" not in path and not os.path.exists(path)]


class UnreadableTableError(RuntimeError):
    """A table whose transaction log delta-rs cannot read (not one with a data file gone: lake/health.py)."""


class UnknownTableError(KeyError):
    def __str__(self) -> str:
        return f"no table {self.args[0]!r}; the lake's tables are: {', '.join(TABLES)}"


def spec_of(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTableError(name) from None


class Lake:
    """A lake root (a local folder or an object-store URI) holding one Delta table per TableSpec."""

    def __init__(self, uri: str, storage_options: dict[str, str] | None = None):
        self.uri = uri if "://" in uri else os.path.abspath(uri)
        # None: what lake/storage.py resolves (AWS variables, a Secret block, --storage-option).
        self.storage_options = storage_options or storage.options_for(self.uri)
        # Latest versions opened in this process for this lake, per thread: reopening a table replays its
        # log (25-35 ms of CPU for a ten-year lake's papers or sightings, and a run opens its tables dozens
        # of times); bringing an open one forward reads only the commits since. Shared by the Lakes of the
        # same root (a daily run makes one per flow and subflow). A DeltaTable is not shared across
        # threads, nor pickled with its Lake (Prefect may move a Lake to another thread or process).
        self._opened = _opened_tables(self.uri, self.storage_options)

    def __getstate__(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key != "_opened"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._opened = _opened_tables(self.uri, self.storage_options)

    def __repr__(self) -> str:
        return f"Lake({self.uri!r})"

    def table_uri(self, name: str) -> str:
        spec_of(name)
        return f"{self.uri.rstrip('/')}/{name}"

    def has_table(self, name: str) -> bool:
        return DeltaTable.is_deltatable(self.table_uri(name), storage_options=self.storage_options)

    def delta(self, name: str, as_of: AsOf = None) -> DeltaTable:
        """The Delta table, optionally at a version number or a timestamp (time travel).

        The latest version (no `as_of`) is the one this Lake opened before in this thread, brought
        forward to the newest commit: a caller must not keep it at an older version. Time travel
        opens a table of its own.
        """
        if as_of is None and (table := self._brought_forward(name)) is not None:
            self._check_files(table, name, table.version())  # a file may be gone since (2 ms for 1,000 files)
            return table
        try:
            table = LakeDeltaTable(self.table_uri(name), storage_options=self.storage_options)
        except TableNotFoundError:
            raise FileNotFoundError(f"table {name!r} does not exist yet in {self.uri} (ingest something first)") from None
        except DeltaError as error:  # a log that cannot be read: say which table, whatever delta-rs says
            cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise UnreadableTableError(f"table {name!r} in {self.uri} cannot be read: {cause}") from error
        latest_version = table.version()
        as_of = parse_as_of(as_of)
        if isinstance(as_of, int):
            _load_version(table, name, as_of)
        elif as_of is not None:
            _load_time(table, name, as_of)
        self._check_files(table, name, latest_version)
        if as_of is None:
            self._keep(name, table)
        return table

    def _keep(self, name: str, table: DeltaTable) -> None:
        # A finished thread's tables are never brought forward again: let them go (a long backfill's
        # task threads would otherwise each keep a copy of every table's file list).
        alive = {thread.ident for thread in threading.enumerate()}
        for key in [key for key in list(self._opened) if key[0] not in alive]:
            self._opened.pop(key, None)
        self._opened[(threading.get_ident(), name)] = table

    def _brought_forward(self, name: str) -> DeltaTable | None:
        """The table this thread opened before, at the newest commit; None if it must be opened afresh
        (never opened, or its folder was removed or the table made anew since)."""
        key = (threading.get_ident(), name)
        table = self._opened.get(key)
        if table is None or sys.getrefcount(table) > _HELD_BY_CACHE_ONLY:
            # Still held by a caller (a read-then-write, a LazyFrame not collected yet): moving it would
            # change what that caller reads or commits against, so it gets a table of its own.
            return None
        try:
            table.update_incremental()
        except DeltaError:
            table = None
        # A table deleted and created again has fewer commits than the one held: nothing would bring
        # that forward, so a local table whose held commit is gone is opened afresh.
        if table is not None and "://" not in self.uri and not os.path.exists(_commit_path(self.table_uri(name), table.version())):
            table = None
        if table is None:
            self._opened.pop(key, None)
        return table

    def _check_files(self, table: DeltaTable, name: str, latest_version: int) -> None:
        if missing := missing_data_files(table):
            from lake.health import unreadable_version_error

            raise unreadable_version_error(
                table, name, self.uri, self.table_uri(name), self.storage_options, latest_version, missing
            )

    def scan(self, name: str, as_of: AsOf = None) -> pl.LazyFrame:
        """The table as a LazyFrame; an empty frame of the declared schema if it does not exist
        yet, or did not exist yet at the time `as_of` (it had no rows then)."""
        if not self.has_table(name):
            if isinstance(parse_as_of(as_of), int):
                self.delta(name)  # raises the clear "does not exist" error: there is no such version
            return spec_of(name).empty_frame().lazy()
        try:
            return pl.scan_delta(self.delta(name, as_of))
        except NotCreatedYetError:
            return spec_of(name).empty_frame().lazy()

    def read(self, name: str, as_of: AsOf = None) -> pl.DataFrame:
        return self.scan(name, as_of).collect()

    def tables(self, as_of: AsOf = None) -> dict[str, pl.LazyFrame]:
        """Every declared table as a LazyFrame, all at the same `as_of` if given."""
        return {name: self.scan(name, as_of) for name in TABLES}

    def history(self, name: str, limit: int | None = None) -> list[dict]:
        return self.delta(name).history(limit)


# The open tables of the lakes this process used last, per root and storage options: a process that
# goes through many lakes (tests, a script) keeps only these few lakes' tables.
_OPENED_LAKES_KEPT = 4
_opened_by_lake: dict[tuple, dict[tuple[int, str], DeltaTable]] = {}
_opened_lock = threading.Lock()


def _opened_tables(uri: str, storage_options: dict[str, str] | None) -> dict[tuple[int, str], DeltaTable]:
    key = (uri, tuple(sorted((storage_options or {}).items())))
    with _opened_lock:
        tables = _opened_by_lake.pop(key, None)
        tables = {} if tables is None else tables
        _opened_by_lake[key] = tables  # the most recently used last
        while len(_opened_by_lake) > _OPENED_LAKES_KEPT:
            del _opened_by_lake[next(iter(_opened_by_lake))]  # a Lake still holding it keeps using it alone
        return tables


# References to a table held in Lake._opened while nobody else uses it: the dict, the local name in
# _brought_forward and getrefcount's own argument.
_HELD_BY_CACHE_ONLY = 3


def _commit_path(table_uri: str, version: int) -> str:
    return os.path.join(table_uri, "_delta_log", f"{version:020d}.json")


def _load_version(table: DeltaTable, name: str, version: int) -> None:
    latest = table.version()
    if version > latest:
        raise TimeTravelError(f"table {name!r} has versions 0..{latest}: there is no version {version}")
    table.load_as_version(version)


AS_OF_FORMS = (
    "--as-of takes a version number (e.g. 3, per table, see `paperlake history`), a commit time "
    "(e.g. 2024-03-12T08:30:00Z; no zone means UTC) or a date (2024-03-12, meaning 00:00 UTC)"
)


def _load_time(table: DeltaTable, name: str, moment: datetime) -> None:
    created_at = _created_at(table)
    if moment < created_at:
        raise NotCreatedYetError(
            f"table {name!r} did not exist yet at {moment.isoformat()}: its first commit (version 0) was at "
            f"{created_at.strftime('%Y-%m-%dT%H:%M:%SZ')}; {AS_OF_FORMS}"
        )
    table.load_as_version(moment)


def _created_at(table: DeltaTable) -> datetime:
    """delta-rs loads version 0 for any time before the table's creation; tell the two apart.

    Only the oldest commit's time matters, and the history lists it last.
    """
    created_ms = table.history()[-1]["timestamp"]
    return datetime.fromtimestamp(created_ms / 1000, timezone.utc)


def open_lake(uri: str | None = None, storage_options: dict[str, str] | None = None) -> Lake:
    """The lake at `uri` (default: --lake / $PAPERLAKE_LAKE / ./data/lake)."""
    from settings import resolve_lake_uri

    return Lake(resolve_lake_uri(uri), storage_options)
