"""`paperlake query SQL`: read-only SQL over the lake's tables (DuckDB dialect), or a row count
from the Delta log when that is all the statement asks.

Nothing here imports DuckDB, Prefect or Great Expectations at module level: a count must start fast.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from paperlake.cli_base import emit as _emit
from paperlake.cli_base import err
from paperlake.cli_base import fail as _fail
from paperlake.cli_base import open_lake as _open_lake
from paperlake.cli_base import output_format as _output_format
from paperlake.cli_options import AsOfOption, FormatOption, LakeOption, OutOption


def register(app: typer.Typer) -> None:
    app.command()(query)


def query(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One read-only SQL statement over the lake's tables (DuckDB dialect).")],
    as_of: AsOfOption = None,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
    no_limits: Annotated[bool, typer.Option("--no-limits", help="Lift the time and memory limits ($PAPERLAKE_QUERY_TIME_LIMIT_SECONDS, default 600; $PAPERLAKE_QUERY_MEMORY_LIMIT, default 50%).")] = False,
) -> None:
    """Run read-only SQL over the lake's tables and print the result (or write it to --out)."""
    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    from lake.log_counts import row_count_from_log

    counted = row_count_from_log(the_lake, sql, as_of)  # in the Delta log: no DuckDB to import
    if counted is not None:
        _emit(counted, fmt, out_file)
        return
    from lake.sql import QueryError, QueryInterrupted, QueryLimitError, QueryLimits, run_query
    from paperlake.lifetime import sigterm_interrupts

    try:
        with sigterm_interrupts() as signalled:
            result = run_query(the_lake, sql, as_of, QueryLimits.from_env(lifted=no_limits))
    except QueryInterrupted as error:
        _stop_query(str(error), signalled.exit_code)
    except QueryLimitError as error:
        _stop_query(str(error), 1)
    except QueryError as error:
        _fail(str(error))
    _note_tables_not_created(the_lake, sql)
    _emit(result, fmt, out_file)


def _stop_query(message: str, code: int) -> None:
    """One line, then exit at once: DuckDB's worker thread may still be unwinding the interrupted query, and
    letting the interpreter tear it down aborts the process (a C++ "exception not rethrown"). Nothing was written."""
    import os
    import sys

    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _note_tables_not_created(the_lake, sql: str) -> None:
    """A table the statement reads but no load has created yet reads as empty: say so, it is not an error."""
    import duckdb

    from lake.locate import missing_table_note
    from lake.sql import tables_read

    for name in tables_read(duckdb.connect(":memory:"), sql):
        if not the_lake.has_table(name):
            err.print(missing_table_note(the_lake.uri, name, "it reads as empty"), highlight=False)
