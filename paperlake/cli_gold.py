"""`paperlake authors` and `paperlake topics`: the gold tables, printed like every listing.

Read-only: nothing here imports Prefect or Great Expectations.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from paperlake.cli_base import emit as _emit
from paperlake.cli_base import err, fail, open_lake, output_format
from paperlake.cli_base import parse_date as _date
from paperlake.cli_options import LakeOption, FormatOption, OutOption, LimitOption

KINDS = ("arxiv_category", "hf_keyword")


def register(app: typer.Typer) -> None:
    app.command()(authors)
    app.command()(topics)


def authors(
    since: Annotated[Optional[str], typer.Option("--since", metavar="YYYY-MM-DD", help="Count only papers listed from this day on.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", metavar="YYYY-MM-DD", help="Count only papers listed up to this day.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", metavar="TEXT", help="Only authors whose name contains this (accents and case ignored).")] = None,
    sort: Annotated[str, typer.Option("--sort", metavar="papers|listings|upvotes", help="Rank by papers, listings or upvotes.")] = "papers",
    limit: LimitOption = 20,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Authors ranked by their papers in the lake: papers, their listings, upvotes summed, first and last listed.

    An author is a name key (accents and case dropped): two people of one name are one row, and
    `J. Smith` and `John Smith` are two.
    """
    import polars as pl

    from lake.gold import author_papers_in_window, scan_gold
    from transforms.gold import AUTHOR_ORDER, author_key_expr, authors_in_window, ranked_authors

    if sort not in AUTHOR_ORDER:
        raise typer.BadParameter(f"{sort!r} is not one of {', '.join(AUTHOR_ORDER)}", param_hint="--sort")
    start, end = _date(since, "--since"), _date(until, "--until")
    the_lake = open_lake(lake)
    fmt = output_format(format, out_file, the_lake.uri)
    table = _gold(the_lake, "authors", scan_gold)
    named = None
    if name:
        wanted = pl.select(author_key_expr(pl.lit(name))).item()
        named = pl.col("author_key").str.contains(wanted, literal=True)
        table = table.filter(named)
    entries = author_papers_in_window(the_lake, start, end, named)
    rows = ranked_authors(authors_in_window(table.collect(), entries, start, end), sort, limit)
    _emit(rows, fmt, out_file)
    if rows.is_empty():
        err.print("no author matches" + (f" {name!r}" if name else "") + (" in that window" if start or end else ""), highlight=False)


def topics(
    rising: Annotated[bool, typer.Option("--rising", help="Rank topics by growth: recent weeks against the weeks before.")] = False,
    kind: Annotated[Optional[str], typer.Option("--kind", metavar="arxiv_category|hf_keyword", help="Only arXiv categories or only HF keywords.")] = None,
    weeks: Annotated[int, typer.Option("--weeks", "-w", metavar="N", min=1, help="Weeks shown (with --rising: the recent weeks compared).")] = 2,
    baseline: Annotated[int, typer.Option("--baseline", metavar="N", min=1, help="With --rising: the weeks before, compared with.")] = 6,
    until: Annotated[Optional[str], typer.Option("--until", metavar="YYYY-MM-DD", help="A day of the last week. Default: the lake's latest week.")] = None,
    limit: LimitOption = 20,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """Topics (arXiv categories and Hugging Face keywords) per week: papers listed, listings, upvotes.

    `--rising` ranks them by growth = (papers a week lately + 1) / (papers a week before + 1).
    """
    import polars as pl

    from lake.gold import scan_gold
    from transforms.gold import rising_topics, week_of, weekly_topics

    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(KINDS)}", param_hint="--kind")
    end = _date(until, "--until")
    the_lake = open_lake(lake)
    fmt = output_format(format, out_file, the_lake.uri)
    table = _gold(the_lake, "topics", scan_gold).collect()
    if kind:
        table = table.filter(pl.col("kind") == kind)
    if table.is_empty():
        _emit(table, fmt, out_file)
        err.print("no topics yet: loads of hf_daily or arxiv bring them (a saved page copy has none)")
        return
    last_week = pl.select(week_of(pl.lit(end))).item() if end else table["week_start_date"].max()
    if rising:
        rows = rising_topics(table, last_week, weeks, baseline).head(limit)
    else:
        rows = weekly_topics(table, last_week, weeks).head(limit)
    _emit(rows, fmt, out_file)
    if rows.is_empty():
        err.print(f"no topic listed in the {weeks} week(s) up to the week of {last_week}", highlight=False)


def _gold(the_lake, name: str, scan_gold):
    table = scan_gold(the_lake, name)
    if table is None:
        fail(f"the lake at {the_lake.uri} has no {name!r} table yet: the next load builds it (`paperlake run` or `ingest`)", code=1)
    return table
