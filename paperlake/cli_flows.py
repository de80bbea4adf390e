"""What the commands that run flows share: quiet Prefect defaults, the console a flow prints to, load reports."""

from __future__ import annotations

import typer
from rich.markup import escape

from paperlake.cli_base import err, out
from paperlake.cli_base import fail as _fail


def flow_console(activity: str, verbose: bool):
    from paperlake.flow_console import flow_console as console

    return console(err, activity, verbose)


def feed_names(value: str | None) -> list[str]:
    from feeds.registry import parse_feed_names

    try:
        return parse_feed_names(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--feeds") from None


def run_flows_quietly(validates: bool = True) -> None:
    from paperlake.config import quiet_prefect_defaults
    from paperlake.lifetime import install_for_flows
    from paperlake.preload import preload_in_background

    quiet_prefect_defaults()
    install_for_flows()  # signals stop the command in seconds; Prefect's temporary server follows it
    if validates:
        preload_in_background()  # Great Expectations' import while Prefect's server starts


def call_flow(label: str, flow_function, *args, expected: type[Exception]):
    """Run a flow in this process: (its return value, None), or (None, the `expected` error it raised,
    which carries what did land); any other error ends the command in one line that starts with `label`.

    Called directly, not with return_state: a state read back from Prefect's API can lack its result
    (MissingResult, seen under load: the command then failed although the run had landed), while a
    direct call hands back the flow's own value or raises its own error.
    """
    try:
        return flow_function(*args), None
    except expected as error:
        return None, error
    except Exception as error:
        _fail(f"{label}: {error}", code=1)


def load_report_of(flow_function, *args):
    """Run a loading flow; print its report, also when some feed-days were rejected (the rest landed)."""
    from flows.reports import BatchesRejected

    report, error = call_flow(flow_function.name, flow_function, *args, expected=BatchesRejected)
    if error is not None:
        report = error.report
    print_load_report(report)
    for message in report.rejections:
        err.print(f"[bold red]rejected:[/] {escape(message)}", highlight=False)
    return report


def print_load_report(report) -> None:
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
