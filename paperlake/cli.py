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

from paperlake.cli_base import OneLineErrors, err, out, set_debug
from paperlake.cli_base import emit as _emit
from paperlake.cli_base import fail as _fail
from paperlake.cli_base import parse_date as _parse_date
from paperlake.cli_base import checked_feed as _checked_feed
from paperlake.cli_base import open_lake as _open_lake
from paperlake.cli_base import output_format as _output_format
from paperlake.cli_base import print_version as _print_version
from paperlake.cli_options import FeedsOption, FormatOption, LakeOption, OutOption, VerboseOption
from paperlake.config import resolve_lake_uri

app = typer.Typer(
    help="paperlake: research-paper feeds kept as a Delta Lake.", no_args_is_help=True, add_completion=False,
    cls=OneLineErrors,
)
def _flow_console(activity: str, verbose: bool):
    from paperlake.flow_console import flow_console

    return flow_console(err, activity, verbose)


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
    _run_flows_quietly()
    from flows.ingest import ingest_files

    with _flow_console(f"ingesting {len(paths)} path(s)", verbose):
        report = _load_report_of(ingest_files, [str(p) for p in paths], resolve_lake_uri(lake), day)
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
    _run_flows_quietly()
    from flows.reparse import reparse_archive

    with _flow_console("reparsing the stored snapshots", verbose):
        report = _load_report_of(reparse_archive, lake_uri, feed, since_date)
    if report.rejections:
        raise typer.Exit(1)


def _feed_names(value: str | None) -> list[str]:
    from feeds.registry import parse_feed_names

    try:
        return parse_feed_names(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--feeds") from None


@app.command()
def run(
    day: Annotated[
        Optional[str],
        typer.Option("--date", metavar="YYYY-MM-DD", help="Fetch exactly this day. Default: every day that is due (not final yet), up to today."),
    ] = None,
    feeds: FeedsOption = None,
    lake: LakeOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Fetch what is due of every live feed into the lake (the daily flow); one failing feed-day does not stop the others.

    Without --date, each feed's days that are not final yet are fetched again, from the oldest
    unsettled one to the newest that can have content, so a run after an outage catches up.
    """
    the_day = _parse_date(day, "--date")
    names = _feed_names(feeds)
    _run_flows_quietly()
    from prefect import tags

    from flows.daily import FeedsFailed, daily

    with _flow_console(f"daily {the_day or 'run'}: fetching and loading {', '.join(names)}", verbose), tags(*names):
        state = daily(the_day, names, resolve_lake_uri(lake), return_state=True)
    error = None if state.is_completed() else state.result(raise_on_failure=False)
    label = the_day or "run"
    if error is not None and not isinstance(error, FeedsFailed):
        _fail(f"daily {label}: {error}", code=1)
    results = state.result() if error is None else error.results
    for result in results.values():
        _print_feed_run(result)
    if error is not None:
        for message in error.failures.values():
            err.print(f"[bold red]failed:[/] {escape(message)}", highlight=False)
        err.print("The other feed-days landed; the next run fetches the failed ones again (or run the same command again).")
        raise typer.Exit(1)


def _print_feed_run(result) -> None:
    days = result.days
    span = "nothing due" if not days else str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"
    changes = result.changes
    changed = sum(c.outcome in ("new", "changed") for c in changes)
    final = sum(c.became_final for c in changes)
    out.print(
        f"[bold]{result.feed}[/] {span}: {len(days)} day(s) fetched ({changed} changed, {final} became final), "
        f"{result.byte_count:,} bytes in {result.fetch_seconds:.2f} s, loaded in {result.load_seconds:.2f} s",
        highlight=False,
    )
    if result.plan and result.plan.bound_message:
        err.print(f"[yellow]note:[/] {escape(result.plan.bound_message)}", highlight=False)
    if len(days) > 1:  # a window: what changed, not a line per payload of every unchanged day
        _print_day_changes(changes)
        report = result.report
        out.print(f"{report.sighting_count} sightings written, {report.quarantined_count} quarantined; "
                  f"papers: {report.new_paper_count} new, {report.updated_paper_count} updated")
    elif result.loaded.report is not None:
        _print_load_report(result.report)


def _print_day_changes(changes) -> None:
    from paperlake.output import print_rows

    shown = [c for c in changes if c.outcome != "unchanged" or c.became_final]
    rows = [[c.snapshot_date, c.outcome, c.row_count, c.status + (" (became final)" if c.became_final else ""), c.error or ""]
            for c in shown]
    if rows:
        print_rows(out, ["day", "fetch", "rows", "status", "problem"], rows, "feed-days that changed")
    unchanged = len(changes) - len(shown)
    if unchanged:
        out.print(f"{unchanged} day(s) fetched again unchanged")


@app.command()
def status(
    days: Annotated[bool, typer.Option("--days", help="The provisional days, one row each, instead of the per-feed summary.")] = False,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Where each live feed stands: final through which day, the provisional days and when each was last fetched, anything stuck."""
    from datetime import timezone

    from paperlake.status import feed_summary, provisional_days

    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    rows = the_lake.read("feed_days")
    if rows.is_empty():
        _fail(f"no live feed has been fetched into {the_lake.uri} yet: `paperlake run` fetches what is due", code=1)
    now = datetime.now(timezone.utc)
    open_days = provisional_days(rows, now)
    if days or out_file is not None or fmt != "table":  # one frame, so the output parses
        _emit(open_days if days else feed_summary(rows, now), fmt, out_file)
        return
    _emit(feed_summary(rows, now), fmt, title="feeds")
    if open_days.height:
        _emit(open_days, fmt, title="provisional days: fetched again by every run until they settle")
    else:
        out.print("every fetched day is final")


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", metavar="YYYY-MM-DD", help="First day to fetch.")],
    end: Annotated[str, typer.Option("--end", metavar="YYYY-MM-DD", help="Last day to fetch, included.")],
    feeds: FeedsOption = None,
    batch_days: Annotated[int, typer.Option("--batch-days", metavar="N", min=1, help="Days fetched together; a feed's fetched days are loaded (and committed) once they near 48 MB.")] = 30,
    lake: LakeOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Fetch a range of days as one flow run, committing in batches; rerun it to resume: landed days are skipped."""
    start_date, end_date = _parse_date(start, "--start"), _parse_date(end, "--end")
    if end_date < start_date:
        raise typer.BadParameter(f"--end {end_date} is before --start {start_date}", param_hint="--end")
    names = _feed_names(feeds)
    _run_flows_quietly()
    from prefect import tags

    from flows.backfill import backfill as backfill_flow
    from flows.backfill_progress import progress_listener
    from flows.backfill_report import BackfillFailed
    from paperlake.flow_console import quiet_prefect_console
    from paperlake.progress_bar import backfill_progress_bar

    if not verbose:
        quiet_prefect_console()  # the bar and the summary say it; Prefect's logs stay in the UI

    with backfill_progress_bar(f"backfill {start_date}..{end_date}", err) as listener, progress_listener(listener), tags(*names):
        state = backfill_flow(start_date, end_date, names, resolve_lake_uri(lake), batch_days, return_state=True)
    error = None if state.is_completed() else state.result(raise_on_failure=False)
    if error is not None and not isinstance(error, BackfillFailed):
        _fail(f"backfill {start_date}..{end_date}: {error}", code=1)
    report = state.result() if error is None else error.report
    _print_backfill_report(report)
    if report.failed:
        for outcome in report.failed:
            err.print(f"[bold red]failed:[/] {escape(outcome.message)}", highlight=False)
        err.print(f"{len(report.failed)} feed-day(s) did not land; run the same command again to fetch only those.")
        raise typer.Exit(1)


def _print_backfill_report(report) -> None:
    from paperlake.output import print_rows

    rows = []
    for feed in report.feeds:
        mine = [o for o in report.outcomes if o.feed == feed]
        fetched = [o for o in mine if o.status in ("landed", "unchanged")]
        loads = [load for load in report.loads if load.feed == feed]
        load_days = sum(len(load.days) for load in loads)
        counts = [str(sum(o.status == status for o in mine)) for status in ("landed", "unchanged", "already", "failed")]
        fetch_per_day = f"{sum(o.fetch_seconds for o in fetched) / len(fetched):.2f}" if fetched else "-"
        load_per_day = f"{sum(load.load_seconds for load in loads) / load_days:.2f}" if load_days else "-"
        rows.append([feed, *counts, fetch_per_day, load_per_day])
    print_rows(out, ["feed", "landed", "unchanged", "already in the lake", "failed", "fetch s/day", "load s/day"], rows, "feed-days")
    out.print(escape(report.describe()), soft_wrap=True)


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
    from lake.writes import snapshot_filter

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
    from expectations.gate import validate_table

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


def _run_flows_quietly(validates: bool = True) -> None:
    from paperlake.config import quiet_prefect_defaults
    from paperlake.lifetime import install_for_flows
    from paperlake.preload import preload_in_background

    quiet_prefect_defaults()
    install_for_flows()  # signals stop the command in seconds; Prefect's temporary server follows it
    if validates:
        preload_in_background()  # Great Expectations' import while Prefect's server starts


def _load_report_of(flow_function, *args):
    """Run a loading flow; print its report, also when some feed-days were rejected (the rest landed)."""
    from flows.reports import BatchesRejected

    state = flow_function(*args, return_state=True)
    if state.is_completed():
        report = state.result()
    else:
        error = state.result(raise_on_failure=False)
        if not isinstance(error, BatchesRejected):
            _fail(f"{state.name}: {error}", code=1)
        report = error.report
    _print_load_report(report)
    for message in report.rejections:
        err.print(f"[bold red]rejected:[/] {escape(message)}", highlight=False)
    return report


def _print_load_report(report) -> None:
    from paperlake.output import print_rows

    rows = [[s.source, s.snapshot_date, "skipped (already ingested)" if s.status == "skipped" else s.status, s.row_count]
            for s in report.snapshots]
    print_rows(out, ["snapshot", "date", "status", "rows"], rows, "snapshots")
    for s in report.snapshots:
        for issue in s.issues:
            err.print(f"[yellow]warning:[/] {escape(issue)}", highlight=False)
    if report.skipped:
        out.print(escape(f"skipped {len(report.skipped)} snapshot(s) already ingested: " + ", ".join(s.source for s in report.skipped)))
    out.print(
        f"{report.sighting_count} sightings written, {report.quarantined_count} quarantined; "
        f"papers: {report.new_paper_count} new, {report.updated_paper_count} updated"
    )
    if report.docs_index:
        out.print(f"validation report: {escape(report.docs_index)}")


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
    _run_flows_quietly(validates=False)
    from flows.artifacts import maintenance_rows
    from flows.maintain import MaintenanceFailed
    from flows.maintain import maintain as maintain_flow

    with _flow_console("compacting, vacuuming and checkpointing every table", verbose):
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
    _run_flows_quietly(validates=False)
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


from paperlake import cli_read  # noqa: E402  (query, papers, show, new, trending, history, report, tables, dupes)

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
