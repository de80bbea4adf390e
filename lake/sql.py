"""Read-only SQL over the lake's tables (DuckDB over Delta snapshots; no Prefect, no GX)."""

from __future__ import annotations

import io
import os
import re
import threading
import time
from dataclasses import dataclass

import duckdb
import polars as pl

from lake.log_counts import row_count_from_log
from lake.schemas import TABLES
from lake.store import AsOf, DamagedTableError, Lake, NotCreatedYetError, TimeTravelError, parse_as_of

READ_ONLY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
FORMATS = ("table", "csv", "json", "parquet")


class QueryError(ValueError):
    pass


class QueryInterrupted(QueryError):
    """Ctrl-C or SIGTERM while the query ran."""


class QueryLimitError(QueryError):
    """The query ran past its time or memory limit."""


# Far above what a real query on a ten-year lake needs (seconds, a few GB); they stop a runaway join.
DEFAULT_TIME_LIMIT_SECONDS = 600.0
DEFAULT_MEMORY_LIMIT = "50%"  # of this machine's memory (DuckDB's own default is 80 %)
TIME_LIMIT_ENV = "PAPERLAKE_QUERY_TIME_LIMIT_SECONDS"
MEMORY_LIMIT_ENV = "PAPERLAKE_QUERY_MEMORY_LIMIT"


@dataclass(frozen=True)
class QueryLimits:
    """How long and how much memory one query may take; None lifts a limit (`query --no-limits`)."""

    time_limit_seconds: float | None = DEFAULT_TIME_LIMIT_SECONDS
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT

    @classmethod
    def from_env(cls, environ=os.environ, lifted: bool = False) -> QueryLimits:
        if lifted:
            return cls(None, None)
        seconds = environ.get(TIME_LIMIT_ENV, "").strip()
        try:
            time_limit = float(seconds) if seconds else DEFAULT_TIME_LIMIT_SECONDS
        except ValueError:
            raise QueryError(f"${TIME_LIMIT_ENV} must be a number of seconds, not {seconds!r}") from None
        return cls(time_limit if time_limit > 0 else None, environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT)

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("SET enable_progress_bar = false")  # a long query must not draw over the terminal
        if self.memory_limit:
            try:
                con.execute("SET memory_limit = ?", [self.memory_limit])
            except duckdb.Error:
                raise QueryError(f"${MEMORY_LIMIT_ENV} {self.memory_limit!r} is not a size such as 4GB or 50%") from None

    def describe(self) -> str:
        return f"time limit {self.time_limit_seconds:g} s (${TIME_LIMIT_ENV}), memory limit {self.memory_limit} (${MEMORY_LIMIT_ENV})"


def run_query(lake: Lake, sql: str, as_of: AsOf = None, limits: QueryLimits = QueryLimits()) -> pl.DataFrame:
    """Run one read-only statement against every table of the lake (each table at `as_of`, if given)."""
    started_at = time.monotonic()
    try:
        return _run_query(lake, sql, as_of, limits)
    except KeyboardInterrupt as err:  # while opening the tables, before the query itself ran
        raise _stopped(err, time.monotonic() - started_at, limits) from None


def _run_query(lake: Lake, sql: str, as_of: AsOf, limits: QueryLimits) -> pl.DataFrame:
    try:
        as_of = parse_as_of(as_of)
    except TimeTravelError as err:
        raise QueryError(str(err)) from None
    probe = duckdb.connect(":memory:")
    statements = _parse(probe, sql)
    if len(statements) != 1:
        raise QueryError(f"give exactly one SQL statement (got {len(statements)})")
    if statements[0].type not in READ_ONLY_STATEMENTS:
        raise QueryError(f"paperlake query is read-only: a {statements[0].type.name} statement is not allowed (only SELECT)")
    read_tables = tables_read(probe, sql)
    counted = row_count_from_log(lake, sql, as_of)
    if counted is not None:
        return counted
    con = _connect(lake, as_of, read_tables, limits)
    started_at = time.monotonic()
    try:
        return _execute(con, sql, limits)
    except (KeyboardInterrupt, duckdb.InterruptException, RuntimeError) as err:
        raise _stopped(err, time.monotonic() - started_at, limits) from None
    except duckdb.OutOfMemoryException:
        raise QueryLimitError(
            f"query stopped: it needed more than its memory limit of {limits.memory_limit}; "
            f"raise ${MEMORY_LIMIT_ENV} or lift the limits with --no-limits"
        ) from None
    except (duckdb.CatalogException, duckdb.BinderException) as err:
        raise QueryError(_explain_catalog_error(str(err), read_tables)) from None
    except duckdb.PermissionException:
        raise QueryError("paperlake query reads only the lake's tables: files, URLs and extensions are off limits") from None
    except duckdb.Error as err:
        raise QueryError(_vacuumed_hint(str(err))) from None


def _execute(con: duckdb.DuckDBPyConnection, sql: str, limits: QueryLimits) -> pl.DataFrame:
    """Run the query in a thread, so this one stays free to notice a signal or the time limit.

    DuckDB does not look at Python's signals while it runs; `interrupt()` from another thread
    stops it within milliseconds.
    """
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["frame"] = _frame(con.sql(sql))
        except BaseException as err:  # handed to the waiting thread, which raises it
            outcome["error"] = err

    worker = threading.Thread(target=work, name="query", daemon=True)
    deadline_at = time.monotonic() + limits.time_limit_seconds if limits.time_limit_seconds else None
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
            if deadline_at and time.monotonic() > deadline_at:
                con.interrupt()
                worker.join(5)
                break
    except KeyboardInterrupt:
        con.interrupt()
        worker.join(5)
        raise
    if "error" in outcome:
        raise outcome["error"]
    if "frame" not in outcome:
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
    return outcome["frame"]


def _stopped(err: BaseException, elapsed_seconds: float, limits: QueryLimits) -> QueryError:
    """One line for a query that did not finish: over its time limit, or interrupted by the user."""
    if isinstance(err, RuntimeError) and "interrupt" not in str(err).lower():
        return QueryError(str(err).splitlines()[0] if str(err) else type(err).__name__)
    over_limit = limits.time_limit_seconds and elapsed_seconds >= limits.time_limit_seconds and not isinstance(err, KeyboardInterrupt)
    if over_limit:
        return QueryLimitError(
            f"query stopped after {elapsed_seconds:.0f} s: its time limit is {limits.time_limit_seconds:g} s; "
            f"raise ${TIME_LIMIT_ENV} or lift the limits with --no-limits"
        )
    return QueryInterrupted(f"query interrupted after {elapsed_seconds:.1f} s; nothing was written")


def _vacuumed_hint(message: str) -> str:
    """An object store's "not found" for a data file (local lakes are checked before the query runs)."""
    first_line = message.splitlines()[0] if message else message
    if "not found" in message.lower() and ".parquet" in message:
        return f"{first_line}\na data file of this version is gone: vacuumed by `paperlake maintain` (outside the retention) or deleted"
    return message


# DuckDB types Polars cannot take from Arrow (an INTERVAL, a UNION, anything holding one): read as text.
_TEXT_ONLY_TYPES = ("INTERVAL", "UNION")


def _frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """The result as a Polars frame; values of a type Polars cannot hold come as DuckDB prints them."""
    columns = [
        f'CAST("{name}" AS VARCHAR) AS "{name}"' if any(kind in str(dtype) for kind in _TEXT_ONLY_TYPES) else f'"{name}"'
        for name, dtype in zip((c.replace('"', '""') for c in relation.columns), relation.types)
    ]
    return relation.project(", ".join(columns)).pl()


def tables_read(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The lake tables the statement names, in declared order; all of them if DuckDB cannot tell."""
    try:
        named = {name.lower() for name in con.get_table_names(sql)}
    except duckdb.Error:
        return list(TABLES)
    return [name for name in TABLES if name in named]


def _connect(lake: Lake, as_of, read_tables: list[str], limits: QueryLimits) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    not_created: list[str] = []
    for name in TABLES:
        # Only the tables the statement reads are opened (on a ten-year lake, opening them all took
        # seconds); the others are empty, so no version or time of theirs can fail the query.
        con.register(name, _dataset(lake, name, as_of, not_created) if name in read_tables else TABLES[name].empty_frame().to_arrow())
    if read_tables and len(not_created) == len(read_tables):
        # Every table read would be empty: that is a time before the lake, not an empty answer.
        raise QueryError("\n".join(not_created))
    limits.apply(con)
    # From here on the connection can read only what was registered above.
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _dataset(lake: Lake, name: str, as_of, not_created: list[str]):
    if not lake.has_table(name):
        if isinstance(as_of, int):
            raise QueryError(f"table {name!r} does not exist yet in this lake, so it has no version {as_of}")
        return TABLES[name].empty_frame().to_arrow()  # no table now, so none then either
    try:
        return _files_dataset(lake.delta(name, as_of))
    except NotCreatedYetError as err:
        not_created.append(str(err))
        return TABLES[name].empty_frame().to_arrow()  # it had no rows at that time
    except (TimeTravelError, DamagedTableError) as err:
        raise QueryError(str(err)) from None


def _files_dataset(table):
    """The table's current files as a pyarrow dataset of its schema (files older than a column get
    nulls). Locally, a plain dataset over the file list: delta-rs's own attaches every file's
    statistics as expressions, which took 2 s per table on a ten-year lake (DuckDB still skips row
    groups by the Parquet statistics). Object stores need delta-rs's filesystem."""
    if any("://" in uri for uri in table.file_uris()):
        return table.to_pyarrow_dataset()
    import pyarrow as pa
    import pyarrow.dataset as ds

    return ds.dataset(table.file_uris(), schema=pa.schema(table.schema().to_arrow()), format="parquet")


def _parse(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    try:
        return con.extract_statements(sql)
    except duckdb.Error as err:
        raise QueryError(str(err)) from None


def _explain_catalog_error(message: str, read_tables: list[str]) -> str:
    first_line = message.splitlines()[0]
    if "Table with name" in message:
        return f"{first_line}\nthe lake's tables are: {', '.join(TABLES)}"
    if "column" in message.lower():
        named_table = re.search(r'Table "(\w+)" does not have', message)
        tables = [named_table.group(1)] if named_table and named_table.group(1) in TABLES else read_tables or list(TABLES)
        columns = "\n".join(f"  {name}: {', '.join(TABLES[name].column_names)}" for name in tables)
        return f"{first_line}\ncolumns of {', '.join(tables)}:\n{columns}"
    return message


def encode(frame: pl.DataFrame, fmt: str) -> bytes:
    """A result as csv, json (a list of objects) or parquet bytes, ready to print or write."""
    if fmt == "csv":
        return frame.write_csv().encode()
    if fmt == "json":
        return (frame.write_json() + "\n").encode()
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    raise QueryError(f"{fmt!r} is not one of {', '.join(FORMATS)}")
