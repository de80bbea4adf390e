"""The `paperlake` command.

Commands import what they need inside their bodies: reading the lake must start fast, so Prefect
and Great Expectations are imported only by the commands that run flows.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from paperlake.config import resolve_lake_uri

app = typer.Typer(
    help="paperlake: research-paper feeds kept as a Delta Lake.", no_args_is_help=True, add_completion=False
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

LakeOption = Annotated[
    Optional[str], typer.Option("--lake", help="Lake root: a folder or URI. Default: $PAPERLAKE_LAKE, else ./data/lake.")
]


def _parse_date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date of the form YYYY-MM-DD", param_hint=flag) from None


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Snapshot files, or folders of them.")],
    snapshot_date: Annotated[
        Optional[str], typer.Option("--date", help="The day the snapshots list (YYYY-MM-DD). Default: the file's date line, else its modification date.")
    ] = None,
    lake: LakeOption = None,
) -> None:
    """Ingest archived snapshot files (text page copies) into the lake, as one Prefect flow run."""
    day = _parse_date(snapshot_date, "--date")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    _run_flows_quietly()
    from flows.ingest import ingest_files

    report = ingest_files([str(p) for p in paths], resolve_lake_uri(lake), day)
    _print_load_report(report)
    if any(s.status in ("partial", "failed") for s in report.snapshots):
        raise typer.Exit(1)


@app.command()
def reparse(
    feed: Annotated[Optional[str], typer.Option("--feed", help="Only snapshots of this feed.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only snapshots dated on or after this day (YYYY-MM-DD).")] = None,
    lake: LakeOption = None,
) -> None:
    """Rebuild sightings and papers from the stored raw snapshots, without fetching (after a parser fix)."""
    since_date = _parse_date(since, "--since")
    _run_flows_quietly()
    from flows.reparse import reparse_archive

    report = reparse_archive(resolve_lake_uri(lake), feed, since_date)
    _print_load_report(report)


def _run_flows_quietly() -> None:
    from paperlake.config import quiet_prefect_defaults

    quiet_prefect_defaults()


def _print_load_report(report) -> None:
    table = Table("snapshot", "date", "status", "rows", title="snapshots")
    for s in report.snapshots:
        status = "skipped (already ingested)" if s.status == "skipped" else s.status
        table.add_row(escape(s.source), str(s.snapshot_date), status, str(s.row_count))
    out.print(table)
    for s in report.snapshots:
        for issue in s.issues:
            err.print(f"[yellow]warning:[/] {escape(issue)}", highlight=False)
    if report.skipped:
        out.print(escape(f"skipped {len(report.skipped)} snapshot(s) already ingested: " + ", ".join(s.source for s in report.skipped)))
    out.print(
        f"{report.sighting_count} sightings written; papers: {report.new_paper_count} new, {report.updated_paper_count} updated"
    )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One read-only SQL statement over snapshots, sightings and papers.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    lake: LakeOption = None,
) -> None:
    """Run read-only SQL over the lake's tables and print the result."""
    if format not in ("table", "csv", "json"):
        raise typer.BadParameter(f"{format!r} is not one of table, csv, json", param_hint="--format")
    from lake.sql import QueryError, run_query
    from lake.store import Lake

    try:
        result = run_query(Lake(resolve_lake_uri(lake)), sql)
    except QueryError as error:
        _fail(str(error))
    _print_frame(result, format)


def _print_frame(frame, format: str) -> None:
    if format == "csv":
        typer.echo(frame.write_csv(), nl=False)
    elif format == "json":
        typer.echo(frame.write_json())
    else:
        table = Table(*frame.columns)
        for row in frame.iter_rows():
            table.add_row(*("" if v is None else escape(str(v)) for v in row))
        out.print(table)
        out.print(f"({frame.height} row{'s' if frame.height != 1 else ''})")


@app.command()
def tables(lake: LakeOption = None) -> None:
    """List the lake's tables with their row counts and Delta versions."""
    from lake.store import Lake
    from lake.schemas import TABLES

    the_lake = Lake(resolve_lake_uri(lake))
    table = Table("table", "rows", "version", "description", title=f"lake at {the_lake.uri}")
    for name, spec in TABLES.items():
        if the_lake.has_table(name):
            delta = the_lake.delta(name)
            table.add_row(name, str(delta.count()), str(delta.version()), spec.description)
        else:
            table.add_row(name, "-", "-", spec.description)
    out.print(table)


if __name__ == "__main__":
    app()
