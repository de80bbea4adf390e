"""The commands that read the lake: `papers`, `show`, `new`, `trending`, `history`, `report`, `tables`
and `dupes` (`query` is in cli_query.py).

Read-only (bar `dupes --merge`, which commits through lake/), so nothing here imports Prefect or Great
Expectations at module level: reading the lake must start fast.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from paperlake.cli_base import checked_feed as _checked_feed
from paperlake.cli_base import emit as _emit
from paperlake.cli_base import err, out
from paperlake.cli_base import fail as _fail
from paperlake.cli_base import open_lake as _open_lake
from paperlake.cli_base import output_format as _output_format
from paperlake.cli_base import parse_date as _parse_date
from paperlake.cli_options import FeedOption, FormatOption, LakeOption, LimitOption, OutOption, SinceOption, UntilOption


def register(app: typer.Typer) -> None:
    app.command()(papers)
    app.command()(show)
    app.command()(new)
    app.command()(trending)
    app.command()(history)
    app.command()(report)
    app.command()(tables)
    app.command()(dupes)


PAPER_COLUMNS = ["paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "feeds"]


def _window(since: str | None, until: str | None, feed: str | None):
    from lake.queries import Window

    feed = _checked_feed(feed)
    since_date, until_date = _parse_date(since, "--since"), _parse_date(until, "--until")
    if since_date and until_date and since_date > until_date:
        raise typer.BadParameter(f"--since {since_date} is after --until {until_date}", param_hint="--since")
    return Window(since_date, until_date, feed)


def papers(
    since: SinceOption = None,
    until: UntilOption = None,
    feed: FeedOption = None,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Words to find in titles and abstracts (any case); best matches first.")] = None,
    limit: LimitOption = 50,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Papers seen in a window, newest first: first seen (ever), last seen and days seen (in the window)."""
    window = _window(since, until, feed)
    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    from lake import queries
    from lake.search_words import papers_last_seen_range

    sightings = the_lake.scan("sightings")
    if search is None:
        found = queries.papers_in_window(sightings, window, limit).select(PAPER_COLUMNS)
    else:
        words = _search_words(the_lake, len(queries.search_terms(search)) > 1) if window == queries.Window() else None
        last_seen_range = papers_last_seen_range(the_lake) if words is not None else None
        try:
            found = queries.search(sightings, search, window, limit, the_lake.scan("papers"), words, PAPER_COLUMNS, last_seen_range)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--search") from None
        if found.is_empty():  # stdout keeps its header alone, for a pipe; the person reads why here
            where = "" if window == queries.Window() else " in the window given"
            err.print(f"no paper{where} has {search!r} in its title or abstract", highlight=False)
    _emit(found, fmt, out_file)


def _search_words(the_lake, phrase: bool):
    """The word index to search with; None on a lake without one, saying once how to build it (or,
    for a phrase, how to give an older index the word positions that settle it)."""
    from lake.search_words import has_paper_keys, has_positions, is_searchable
    from paperlake.cli_search import BUILD_HINT

    if is_searchable(the_lake):
        words = the_lake.scan("search_words")
        if phrase and not has_positions(words):
            err.print(f"note: {the_lake.uri}'s word index has no word positions (an older paperlake built it), so this search reads titles and abstracts to find the phrase; rebuild it once with: {BUILD_HINT}", highlight=False)
        elif phrase and not has_paper_keys(words):
            err.print(f"note: {the_lake.uri}'s word index has no paper keys (an older paperlake built it), so a search of several common words groups their rows on string ids, in more time and memory; rebuild it once with: {BUILD_HINT}", highlight=False)
        return words
    err.print(f"note: {the_lake.uri} has no word index of its papers, so this search reads every abstract; build it once with: {BUILD_HINT}", highlight=False)
    return None


def show(
    paper_id: Annotated[
        str,
        typer.Argument(
            metavar="PAPER",
            help="A paper id: an arXiv id (a vN suffix, an arXiv: prefix or an arxiv.org or huggingface.co/papers URL is fine) or title:<hash>.",
        ),
    ],
    lake: LakeOption = None,
) -> None:
    """Everything the lake knows about one paper: sightings day by day, versions, when each value first appeared."""
    from lake.paper_history import show_paper
    from paperlake.explore import print_paper

    the_lake = _open_lake(lake)
    detail = show_paper(the_lake.scan("sightings"), the_lake.scan("papers"), paper_id)
    if detail is None:
        _fail(f"no paper {paper_id!r} in the lake; find ids with: paperlake papers --search WORDS", code=1)
    print_paper(detail, out)


def new(
    since: Annotated[str, typer.Option("--since", metavar="YYYY-MM-DD", help="Papers first seen on or after this day.")],
    until: UntilOption = None,
    feed: FeedOption = None,
    limit: LimitOption = 50,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Papers first seen since a date (never listed before it), newest first."""
    window = _window(since, until, feed)
    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    from lake.queries import new_since

    fresh = new_since(the_lake.scan("sightings"), window, limit)
    _emit(fresh.select(PAPER_COLUMNS), fmt, out_file)


def trending(
    days: Annotated[int, typer.Option("--days", "-d", metavar="N", min=1, help="Length of the window in days, ending with --until.")] = 7,
    until: Annotated[Optional[str], typer.Option("--until", metavar="YYYY-MM-DD", help="Last day of the window. Default: today.")] = None,
    feed: FeedOption = None,
    limit: LimitOption = 20,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Papers of the last --days days ranked by how they were received: latest upvotes, comments, then days on the list."""
    today = _parse_date(until, "--until") or date.today()
    feed = _checked_feed(feed)
    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    from lake import queries

    sightings = the_lake.scan("sightings")
    ranked = queries.trending(sightings, today, days, feed, limit)
    columns = ["paper_id", "title", "days_seen", "upvotes", "best_rank", "first_seen_date", "last_seen_date"]
    _emit(ranked.select(columns), fmt, out_file)
    latest = queries.latest_snapshot_date(sightings, feed) if ranked.is_empty() else None  # a read of every file: only when needed
    if latest is not None and latest < today:
        err.print(f"nothing listed in the {days} days up to {today}; the latest snapshot is of {latest}: try --until {latest}")


def history(
    table: Annotated[str, typer.Argument(metavar="TABLE", help="A table: snapshots, sightings, papers or quarantine.")],
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", metavar="N", min=1, help="Only the latest N versions.")] = None,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """A table's versions: commit time (UTC), operation, rows added/updated/deleted, and the run that wrote each."""
    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    from lake.paper_history import table_history
    from lake.store import UnknownTableError

    try:
        entries = the_lake.history(table, limit)
    except (UnknownTableError, FileNotFoundError) as error:
        _fail(str(error).strip("'\""))
    versions = table_history(entries)
    if fmt == "table":  # a terminal shows the essentials; csv/json carry every column
        versions = versions.select("version", "committed_at", "operation", "rows_added", "rows_updated", "rows_deleted", "run_id", "feed")
    _emit(versions, fmt, out_file, title=f"{table} history")


def report(
    out_file: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write the HTML page.")] = Path("report.html"),
    since: SinceOption = None,
    until: UntilOption = None,
    top: Annotated[int, typer.Option("--top", metavar="N", min=1, help="How many papers the top-papers charts show.")] = 10,
    paper: Annotated[Optional[str], typer.Option("--paper", metavar="ID", help="Whose upvote trajectory to draw. Default: the window's most upvoted.")] = None,
    lake: LakeOption = None,
) -> None:
    """Write one self-contained HTML page of charts that opens offline: papers per day, new versus returning, days on the list, top recurring papers, their upvotes, quarantine counts, top authors, rising topics, one paper's upvotes observation by observation."""
    from datetime import timezone

    from paperlake.report import write_report

    window = _window(since, until, None)
    summary = write_report(_open_lake(lake), out_file, window, top, datetime.now(timezone.utc), paper)
    out.print(f"wrote {escape(str(out_file))}: {summary}")


def tables(format: FormatOption = None, out_file: OutOption = None, lake: LakeOption = None) -> None:
    """List the lake's tables with their row counts and Delta versions (none for a table not created yet)."""
    import polars as pl

    from lake.schemas import TABLES

    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    rows = []
    for name, spec in TABLES.items():
        delta = the_lake.delta(name) if the_lake.has_table(name) else None
        rows.append({"table": name, "rows": delta.count() if delta else None, "version": delta.version() if delta else None,
                     "description": spec.description})
    frame = pl.DataFrame(rows, schema={"table": pl.String, "rows": pl.Int64, "version": pl.Int64, "description": pl.String})
    _emit(frame, fmt, out_file, title=f"lake at {the_lake.uri}")


def dupes(
    min_score: Annotated[
        Optional[float], typer.Option("--min-score", metavar="SCORE", min=0, max=100, help="List pairs scoring at least this (0-100). Default: 85.")
    ] = None,
    merge: Annotated[
        Optional[tuple[str, str]], typer.Option("--merge", metavar="A B", help="Confirm B is the same work as A: B's sightings count for A, from now on and after any reparse.")
    ] = None,
    dismiss: Annotated[
        Optional[tuple[str, str]], typer.Option("--dismiss", metavar="A B", help="Record that A and B are different works (a merged pair is taken apart again).")
    ] = None,
    ambiguous: Annotated[bool, typer.Option("--ambiguous", help="List title-only papers whose title is that of several arXiv papers (linked to none).")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Also list the pairs already confirmed or dismissed.")] = False,
    limit: LimitOption = 50,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Pairs of papers that look like the same work (near-identical titles, or the same abstract under another title), with a score and the reason; kept in the paper_links table, never merged without --merge."""
    the_lake = _open_lake(lake)
    fmt = _output_format(format, out_file, the_lake.uri)
    from datetime import timezone

    from lake.paper_history import paper_id_of
    from paperlake import dupes as finder

    now = datetime.now(timezone.utc)
    if merge and dismiss:
        raise typer.BadParameter("give --merge or --dismiss, not both", param_hint="--merge")
    try:
        if merge or dismiss:
            first, second = (paper_id_of(p) for p in (merge or dismiss))
            decide = finder.merge if merge else finder.dismiss
            row = decide(the_lake, first, second, now).row(0, named=True)
            verb = f"merged {row['other_paper_id']} into {row['paper_id']}" if merge else f"dismissed {row['paper_id']} / {row['other_paper_id']}"
            out.print(escape(f"{verb} (score {row['score']}: {row['reason']}); recorded in paper_links"), highlight=False)
            return
        if ambiguous:
            _emit(finder.ambiguous(the_lake).head(limit), fmt, out_file, title="titles matching several arXiv papers")
            return
        threshold = 85.0 if min_score is None else min_score
        found = finder.find_and_store(the_lake, threshold, now, show_all)
        _emit(found.pairs.head(limit), fmt, out_file, title=f"possible duplicates (score >= {threshold:g})")
        if found.pairs.is_empty():
            err.print(escape(found.empty_note(threshold)), highlight=False)
        if found.unkept_count:
            err.print(escape(found.unkept_note()), highlight=False)
    except finder.DupesError as error:
        _fail(str(error), code=1)


# --- operating the lake: maintenance, and serving the scheduled deployments ---
