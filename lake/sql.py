"""Read-only SQL over the lake's tables (DuckDB over Delta snapshots; no Prefect, no GX)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from lake.schemas import TABLES
from lake.store import Lake

READ_ONLY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class QueryError(ValueError):
    pass


def run_query(lake: Lake, sql: str, as_of: int | str | datetime | None = None) -> pl.DataFrame:
    """Run one read-only statement against every table of the lake (at `as_of`, if given)."""
    con = _connect(lake, as_of)
    statements = _parse(con, sql)
    if len(statements) != 1:
        raise QueryError(f"give exactly one SQL statement (got {len(statements)})")
    if statements[0].type not in READ_ONLY_STATEMENTS:
        raise QueryError(f"paperlake query is read-only: a {statements[0].type.name} statement is not allowed (only SELECT)")
    try:
        return con.sql(sql).pl()
    except (duckdb.CatalogException, duckdb.BinderException) as err:
        raise QueryError(_explain_catalog_error(str(err))) from None
    except duckdb.PermissionException:
        raise QueryError("paperlake query reads only the lake's tables: files, URLs and extensions are off limits") from None
    except duckdb.Error as err:
        raise QueryError(str(err)) from None


def _connect(lake: Lake, as_of) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for name in TABLES:
        con.register(name, _dataset(lake, name, as_of))
    # From here on the connection can read only what was registered above.
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _dataset(lake: Lake, name: str, as_of):
    if lake.has_table(name):
        return lake.delta(name, as_of).to_pyarrow_dataset()
    return TABLES[name].empty_frame().to_arrow()


def _parse(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    try:
        return con.extract_statements(sql)
    except duckdb.Error as err:
        raise QueryError(str(err)) from None


def _explain_catalog_error(message: str) -> str:
    if "Table with name" in message:
        return f"{message.splitlines()[0]}\nthe lake's tables are: {', '.join(TABLES)}"
    if "column" in message.lower():
        columns = "\n".join(f"  {spec.name}: {', '.join(spec.column_names)}" for spec in TABLES.values())
        return f"{message.splitlines()[0]}\ncolumns by table:\n{columns}"
    return message
