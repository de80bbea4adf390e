"""`paperlake changes TABLE`: the rows a table's commits inserted, updated and deleted (its Delta change feed)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import typer

from paperlake.cli_base import err, fail, open_lake, out, output_format
from paperlake.cli_options import LakeOption, FormatOption, OutOption

# A terminal shows what changed and the columns that say which paper; csv, json and parquet carry every column.
TABLE_COLUMNS = {
    "papers": ["paper_id", "title", "last_seen_date", "days_seen", "upvotes"],
    "sightings": ["paper_id", "feed", "snapshot_date", "rank", "upvotes"],
}


def register(app: typer.Typer) -> None:
    app.command(name="changes")(changes)


def changes(
    table: Annotated[str, typer.Argument(metavar="TABLE", help="papers or sightings (the tables that keep a change feed).")],
    since_version: Annotated[
        Optional[int], typer.Option("--since-version", metavar="N", min=0, help="First version to show, included (see `paperlake history TABLE`).")
    ] = None,
    since: Annotated[
        Optional[str],
        typer.Option("--since", metavar="TIME", help="Changes committed at or after this time: 2024-03-12 or 2024-03-12T08:30:00Z (no zone means UTC)."),
    ] = None,
    until_version: Annotated[Optional[int], typer.Option("--until-version", metavar="N", min=0, help="Last version to show, included. Default: the latest.")] = None,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Rows inserted, updated (update_preimage and update_postimage) and deleted, commit by commit, with _change_type, _commit_version and _commit_timestamp (UTC)."""
    from lake.store import TimeTravelError, parse_as_of

    if (since_version is None) == (since is None):
        raise typer.BadParameter("give one of --since-version N or --since TIME", param_hint="--since-version")
    moment = None
    if since is not None:
        try:
            moment = parse_as_of(since)
        except TimeTravelError:
            moment = None
        if not isinstance(moment, datetime):  # a bare number is a version: --since-version says that
            raise typer.BadParameter(f"{since!r} is not a date/time such as 2024-03-12 or 2024-03-12T08:30:00Z", param_hint="--since")
    the_lake = open_lake(lake)
    fmt = output_format(format, out_file, the_lake.uri)
    from lake.changes import ChangeFeedError, read_changes
    from lake.store import UnknownTableError
    from paperlake.output import emit

    try:
        found = read_changes(the_lake, table, since_version=since_version, since=moment, until_version=until_version)
    except (ChangeFeedError, UnknownTableError, FileNotFoundError) as error:
        fail(str(error).strip("'\""))
    rows = found.rows
    if fmt == "table":
        rows = rows.select("_commit_version", "_commit_timestamp", "_change_type", *TABLE_COLUMNS.get(table, []))
    emit(rows, fmt, out, out_file, title=f"{table} changes, versions {found.first_version}..{found.last_version}")
    if found.first_version > found.last_version:
        err.print(f"no commit to {table} since {since}; its latest version is {found.last_version}", highlight=False)
