"""Read-only SQL over the lake's tables (DuckDB over Delta snapshots; no Prefect, no GX)."""

from __future__ import annotations

import io
import re

import duckdb
import polars as pl

from lake.schemas import TABLES
from lake.store import AsOf, Lake, NotCreatedYetError, TimeTravelError, parse_as_of

READ_ONLY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
FORMATS = ("table", "csv", "json", "parquet")


class QueryError(ValueError):
    pass


def run_query(lake: Lake, sql: str, as_of: AsOf = None) -> pl.DataFrame:
    """Run one read-only statement against every table of the lake (each table at `as_of`, if given)."""
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
    read_tables = _tables_read(probe, sql)
    con = _connect(lake, as_of, read_tables)
    try:
        return _frame(con.sql(sql))
    except (duckdb.CatalogException, duckdb.BinderException) as err:
        raise QueryError(_explain_catalog_error(str(err), read_tables)) from None
    except duckdb.PermissionException:
        raise QueryError("paperlake query reads only the lake's tables: files, URLs and extensions are off limits") from None
    except duckdb.Error as err:
        raise QueryError(str(err)) from None


# DuckDB types Polars cannot take from Arrow (an INTERVAL, a UNION, anything holding one): read as text.
_TEXT_ONLY_TYPES = ("INTERVAL", "UNION")


def _frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """The result as a Polars frame; values of a type Polars cannot hold come as DuckDB prints them."""
    columns = [
        f'CAST("{name}" AS VARCHAR) AS "{name}"' if any(kind in str(dtype) for kind in _TEXT_ONLY_TYPES) else f'"{name}"'
        for name, dtype in zip((c.replace('"', '""') for c in relation.columns), relation.types)
    ]
    return relation.project(", ".join(columns)).pl()


def _tables_read(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The lake tables the statement names, in declared order; all of them if DuckDB cannot tell."""
    try:
        named = {name.lower() for name in con.get_table_names(sql)}
    except duckdb.Error:
        return list(TABLES)
    return [name for name in TABLES if name in named]


def _connect(lake: Lake, as_of, read_tables: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for name in TABLES:
        # Tables the statement does not read stay at their latest version, so a version number
        # that only some tables have does not fail a query that never touches the others.
        con.register(name, _dataset(lake, name, as_of if name in read_tables else None))
    # From here on the connection can read only what was registered above.
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _dataset(lake: Lake, name: str, as_of):
    if not lake.has_table(name):
        if isinstance(as_of, int):
            raise QueryError(f"table {name!r} does not exist yet in this lake, so it has no version {as_of}")
        return TABLES[name].empty_frame().to_arrow()  # no table now, so none then either
    try:
        return lake.delta(name, as_of).to_pyarrow_dataset()
    except NotCreatedYetError:
        return TABLES[name].empty_frame().to_arrow()  # it had no rows at that time
    except TimeTravelError as err:
        raise QueryError(str(err)) from None


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
