"""The live feeds' commands: `run` (the daily flow), `status` (where each feed stands), `backfill`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import typer
from rich.markup import escape

from paperlake.cli_base import emit as _emit
from paperlake.cli_base import err, out
from paperlake.cli_base import fail as _fail
from paperlake.cli_base import open_lake as _open_lake
from paperlake.cli_base import output_format as _output_format
from paperlake.cli_base import parse_date as _parse_date
from paperlake.cli_flows import call_flow, feed_names, flow_console, print_load_report, run_flows_quietly
from paperlake.cli_options import FeedsOption, FormatOption, LakeOption, OutOption, VerboseOption
from paperlake.config import resolve_lake_uri


def register(app: typer.Typer) -> None:
    for command in (run, status, backfill):
        app.command()(command)


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
    names = feed_names(feeds)
    run_flows_quietly()
    from prefect import tags

    from flows.daily import FeedsFailed, daily

    with flow_console(f"daily {the_day or 'run'}: fetching and loading {', '.join(names)}", verbose), tags(*names):
        results, error = call_flow(f"daily {the_day or 'run'}", daily, the_day, names, resolve_lake_uri(lake), expected=FeedsFailed)
    if error is not None:
        results = error.results
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
        print_load_report(result.report)


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
    names = feed_names(feeds)
    run_flows_quietly()
    from prefect import tags

    from flows.backfill import backfill as backfill_flow
    from flows.backfill_progress import progress_listener
    from flows.backfill_report import BackfillFailed
    from paperlake.flow_console import quiet_prefect_console
    from paperlake.progress_bar import backfill_progress_bar

    if not verbose:
        quiet_prefect_console()  # the bar and the summary say it; Prefect's logs stay in the UI

    with backfill_progress_bar(f"backfill {start_date}..{end_date}", err) as listener, progress_listener(listener), tags(*names):
        report, error = call_flow(
            f"backfill {start_date}..{end_date}", backfill_flow, start_date, end_date, names, resolve_lake_uri(lake), batch_days,
            expected=BackfillFailed,
        )
    if error is not None:
        report = error.report
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
