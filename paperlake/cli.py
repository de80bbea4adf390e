"""The `paperlake` command.

Commands import what they need inside their bodies: reading the lake must start fast, so Prefect
and Great Expectations are imported only by the commands that run flows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from paperlake import cli_live
from paperlake.cli_base import OneLineErrors, err, out, set_debug
from paperlake.cli_base import emit as _emit
from paperlake.cli_base import fail as _fail
from paperlake.cli_base import parse_date as _parse_date
from paperlake.cli_base import checked_feed as _checked_feed
from paperlake.cli_base import open_lake as _open_lake
from paperlake.cli_base import output_format as _output_format
from paperlake.cli_base import print_version as _print_version
from paperlake.cli_flows import flow_console, load_report_of, run_flows_quietly
from paperlake.cli_options import FormatOption, LakeOption, OutOption, VerboseOption
from paperlake.config import resolve_lake_uri

app = typer.Typer(
    help="paperlake: research-paper feeds kept as a Delta Lake.", no_args_is_help=True, add_completion=False,
    cls=OneLineErrors,
)


@app.callback()
def _storage(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print paperlake's version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="PAPERLAKE_DEBUG", help="On an unexpected error, print the whole traceback, not one line.")
    ] = False,
    storage_option: Annotated[
        Optional[list[str]],
        typer.Option(
            "--storage-option", metavar="KEY=VALUE",
            help="An object-store option for an s3:// lake (repeatable), e.g. AWS_ENDPOINT_URL=http://127.0.0.1:9000. "
            "Default: the standard AWS variables.",
        ),
    ] = None,
) -> None:
    """paperlake: research-paper feeds kept as a Delta Lake."""
    set_debug(debug)
    from lake.storage import StorageOptionError, parse_pairs, set_command_options
    from paperlake.lifetime import one_line_for_lake_errors

    one_line_for_lake_errors()

    try:
        set_command_options(parse_pairs(storage_option or []))
    except StorageOptionError as error:
        raise typer.BadParameter(str(error), param_hint="--storage-option") from None


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Snapshot files, or folders of them.")],
    snapshot_date: Annotated[
        Optional[str],
        typer.Option(
            "--date", metavar="YYYY-MM-DD",
            help="The day the snapshots list. Default: a saved API answer's file name date; a page copy's date line, else its modification date.",
        ),
    ] = None,
    lake: LakeOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Ingest archived snapshot files (page copies, saved API answers) into the lake, as one Prefect flow run."""
    day = _parse_date(snapshot_date, "--date")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    run_flows_quietly()
    from flows.ingest import ingest_files

    with flow_console(f"ingesting {len(paths)} path(s)", verbose):
        report = load_report_of(ingest_files, [str(p) for p in paths], resolve_lake_uri(lake), day)
    if any(s.status in ("partial", "failed", "rejected") for s in report.snapshots):
        raise typer.Exit(1)


@app.command()
def reparse(
    feed: Annotated[Optional[str], typer.Option("--feed", metavar="FEED", help="Only snapshots of this feed.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", metavar="YYYY-MM-DD", help="Only snapshots dated on or after this day.")] = None,
    lake: LakeOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Rebuild sightings and papers from the stored raw snapshots, without fetching (after a parser fix)."""
    since_date, feed = _parse_date(since, "--since"), _checked_feed(feed)
    lake_uri = _open_lake(lake).uri
    run_flows_quietly()
    from flows.reparse import reparse_archive

    with flow_console("reparsing the stored snapshots", verbose):
        report = load_report_of(reparse_archive, lake_uri, feed, since_date)
    if report.rejections:
        raise typer.Exit(1)


# run, status, backfill: listed in --help after ingest and reparse, where they were written
cli_live.register(app)


@app.command()
def quarantine(
    feed: Annotated[Optional[str], typer.Option("--feed", metavar="FEED", help="Only rows of this feed (archive, hf_daily, arxiv).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", metavar="YYYY-MM-DD", help="Only rows of snapshots dated on or after this day.")] = None,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """List the rows held back, with the rule each broke and why: rows the validation gate held, and lines the parser could not place (table `parse`: file, line, text)."""
    import polars as pl

    from lake.locate import missing_table_note
    from lake.snapshot_writes import snapshot_filter

    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    where, _ = snapshot_filter(_checked_feed(feed), _parse_date(since, "--since"))
    if not the_lake.has_table("quarantine"):
        err.print(missing_table_note(the_lake.uri, "quarantine", "no load has held a row back"), highlight=False)
    held = (
        the_lake.scan("quarantine").filter(where)
        .select("snapshot_date", "feed", "table", "rule", "reason", "snapshot_id", "quarantine_id", "row_json")
        .sort("snapshot_date", "feed", "rule")
        .collect()
    )
    if fmt == "table":
        held = held.select("snapshot_date", "feed", "table", "rule", pl.col("reason").str.slice(0, 160))
    _emit(held, fmt, out_file)


@app.command()
def validate(lake: LakeOption = None) -> None:
    """Re-check every table already in the lake against its expectation suite and print a summary."""
    from datetime import timezone

    the_lake = _open_lake(lake)
    from expectations.recheck import validate_table

    from paperlake.output import print_rows

    now = datetime.now(timezone.utc)
    table_rows, failed, unreadable = [], False, []
    for name in ("snapshots", "sightings", "papers"):
        try:
            rows = the_lake.read(name)
        except FileNotFoundError as error:  # a damaged table: a data file its log lists is gone
            table_rows.append([name, "-", "-", "-", "cannot be read", "damaged: see below"])
            unreadable.append(str(error))
            continue
        result = validate_table(name, rows, today=now.date(), checked_at=now)
        summary = result.summary
        failed = failed or bool(summary["failed_rules"] or summary["rejected_by"])
        rules = ", ".join(f"{rule} ({n})" for rule, n in summary["failed_rules"].items()) or "-"
        table_rows.append([name, summary["rows_in"], summary["rows_clean"], summary["rows_quarantined"], ", ".join(summary["rejected_by"]) or "-", rules])
    columns = ["table", "rows", "passed", "would quarantine", "batch rules broken", "rules broken (rows)"]
    print_rows(out, columns, table_rows, "validation")
    for message in unreadable:
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    if failed or unreadable:
        raise typer.Exit(1)


@app.command()
def maintain(
    retention_days: Annotated[
        int,
        typer.Option("--retention-days", metavar="DAYS", min=0, envvar="PAPERLAKE_RETENTION_DAYS", help="Keep time travel for this many days: vacuum deletes only files older versions no longer need after that."),
    ] = 7,
    lake: LakeOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Compact small files, vacuum old ones and checkpoint every table (the `maintain` flow); prints files and bytes before and after."""
    lake_uri = _open_lake(lake).uri
    run_flows_quietly(validates=False)
    from flows.artifacts import maintenance_rows
    from flows.maintain import MaintenanceFailed
    from flows.maintain import maintain as maintain_flow

    with flow_console("compacting, vacuuming and checkpointing every table", verbose):
        try:
            rows = maintenance_rows(maintain_flow(retention_days, lake_uri))
        except MaintenanceFailed as error:
            _fail(str(error), code=1)
    if not rows:
        out.print("no tables yet: nothing to maintain")
        return
    # The cells of the run's artifact, so the terminal and the UI agree.
    table = Table(*rows[0], title=f"maintain (time travel kept for {retention_days} day(s))")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row.values()))
    out.print(table)
    out.print("live: the files of the current version; stored: every data file on disk, older versions' too")


@app.command()
def serve(
    daily_cron: Annotated[
        str, typer.Option("--daily-cron", metavar="CRON", envvar="PAPERLAKE_DAILY_CRON", help="When `daily` runs (cron, UTC).")
    ] = "0 6 * * *",
    maintain_cron: Annotated[
        str, typer.Option("--maintain-cron", metavar="CRON", envvar="PAPERLAKE_MAINTAIN_CRON", help="When `maintain` runs (cron, UTC).")
    ] = "0 5 * * 0",
    lake: LakeOption = None,
) -> None:
    """Serve the daily, maintain and backfill deployments from this one process, no work pool needed.

    Needs a running Prefect server (`prefect server start`, PREFECT_API_URL pointing at it): the
    embedded one has no scheduler. Runs execute here until Ctrl-C.
    """
    run_flows_quietly(validates=False)
    from flows import deployments

    for flag, value in (("--daily-cron", daily_cron), ("--maintain-cron", maintain_cron)):
        try:
            deployments.check_cron(value)
        except ValueError as error:
            raise typer.BadParameter(f"{value!r} is not a cron schedule: {error}", param_hint=flag) from None
    problem = deployments.server_problem()
    if problem:
        _fail(problem)
    deployments.serve(daily_cron, maintain_cron, resolve_lake_uri(lake) if lake else None)
    names = ", ".join(spec.name for spec in deployments.DEPLOYMENTS)
    err.print(f"stopped; the deployments {names} are paused: `paperlake serve` again resumes them", highlight=False)


from paperlake import cli_query, cli_read  # noqa: E402  (query; papers, show, new, trending, history, report, tables, dupes)

cli_query.register(app)
cli_read.register(app)

from paperlake.cli_changes import register as _register_changes_command  # noqa: E402  (changes TABLE)

_register_changes_command(app)

from paperlake import cli_gold  # noqa: E402  (issue 15: `authors`, `topics`)

cli_gold.register(app)

from paperlake import cli_watch  # noqa: E402  (issue 15: `watch add|list|remove`, `digest`)

cli_watch.register(app)

from paperlake import cli_search  # noqa: E402  (issue 14: `search-index`)

cli_search.register(app)

if __name__ == "__main__":
    app()
