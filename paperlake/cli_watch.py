"""`paperlake watch add|list|remove` and `paperlake digest NAME`: watchlists and their digests.

The daily run's `digest` step (flows/digests.py) sends the digests; these commands keep the
watches and show what a digest holds, without sending or recording anything.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from paperlake.cli_base import OneLineErrors, err, fail, open_lake, output_format
from paperlake.cli_base import parse_date as _parse_day
from paperlake.cli_options import LakeOption, FormatOption, OutOption

out = Console(soft_wrap=True)
watch_app = typer.Typer(
    help="Watchlists: papers on your topics, sent as a digest after each daily run.", no_args_is_help=True, cls=OneLineErrors,
)

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
WATCH_COLUMNS = ["watch_name", "any_terms", "all_terms", "authors", "categories", "notify_block", "since_date"]


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
    app.command(name="digest")(digest)


def _checked_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise typer.BadParameter(
            f"{name!r}: a watch name is lowercase letters, digits and dashes (it names the digest-{name} artifact)", param_hint="NAME"
        )
    return name


@watch_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The watch's name: lowercase letters, digits and dashes.")],
    words: Annotated[Optional[str], typer.Option(
        "--words", metavar="TEXT", help='Any of these words; a "quoted phrase" is one term; a trailing * makes a prefix (llm*).',
    )] = None,
    all_words: Annotated[Optional[str], typer.Option(
        "--all-words", metavar="TEXT", help="Every one of these words (phrases in quotes too).",
    )] = None,
    authors: Annotated[Optional[str], typer.Option(
        "--authors", metavar="NAMES", help='Any of these authors, separated by commas ("Yann LeCun, Fei-Fei Li"; a surname alone matches too).',
    )] = None,
    categories: Annotated[Optional[str], typer.Option(
        "--categories", metavar="CATS", help="Any of these arXiv categories (cs.LG cs.CL; `cs` means every cs.* category).",
    )] = None,
    webhook: Annotated[Optional[str], typer.Option(
        "--webhook", metavar="URL", help="POST each digest here (a Prefect Custom Webhook block is made for the watch).",
    )] = None,
    notify: Annotated[Optional[str], typer.Option(
        "--notify", metavar="BLOCK", help="Send each digest through this existing Prefect notification block (Slack, email, ...): its name, or type/name.",
    )] = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", metavar="YYYY-MM-DD", help="Its first digest holds papers listed from this day on. Default: today (UTC).",
    )] = None,
    lake: LakeOption = None,
) -> None:
    """Add a watch. A paper matches when each kind of criterion given holds: words, authors, categories."""
    from lake.watches import ACTIVE, WatchExistsError, read_watches
    from transforms.watches import TermsError, split_categories, split_names, split_terms

    _checked_name(name)
    if webhook and notify:
        raise typer.BadParameter("give --webhook URL or --notify BLOCK, not both", param_hint="--webhook")
    try:
        criteria = {
            "any_terms": split_terms(words), "all_terms": split_terms(all_words),
            "authors": split_names(authors), "categories": split_categories(categories),
        }
    except TermsError as error:
        raise typer.BadParameter(str(error)) from None
    if not any(criteria.values()):
        raise typer.BadParameter("a watch needs --words, --all-words, --authors or --categories (else it would send every paper)")
    now = datetime.now(timezone.utc)
    since_date = _parse_day(since, "--since") or now.date()
    the_lake = open_lake(lake)
    if name in read_watches(the_lake)["watch_name"].to_list():
        fail(f"a watch named {name!r} exists already; `paperlake watch remove {name}` first")
    block = _block_for(name, webhook, notify)
    from lake import writes
    from lake.watches import add_watch

    row = {**criteria, "watch_name": name, "notify_block": block, "webhook_url": webhook, "status": ACTIVE,
           "since_date": since_date, "created_at": now}
    try:
        add_watch(the_lake, row, writes.CommitInfo("watch add"))
    except WatchExistsError as error:
        fail(str(error))
    where = f"sent through Prefect block {block}" if block else "shown as the digest-" + name + " artifact only"
    out.print(f"added watch {escape(name)}: digests after each daily run, papers listed from {since_date} on, {escape(where)}", highlight=False)


def _block_for(name: str, webhook: str | None, notify: str | None) -> str | None:
    """The notification block's `type/name`: made for --webhook, checked for --notify."""
    if not webhook and not notify:
        return None
    from flows.notify import BlockError, checked_url, resolve_block, save_webhook_block
    from paperlake.config import quiet_prefect_defaults

    quiet_prefect_defaults()
    try:
        if webhook:
            checked_url(webhook)
            return save_webhook_block(name, webhook)
        return resolve_block(notify)
    except BlockError as error:
        fail(str(error))


@watch_app.command("list")
def list_watches(
    all: Annotated[bool, typer.Option("--all", help="Also removed watches, with when they were removed.")] = False,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """The watches: what each matches, where its digests go, since when; how many papers its digests held, and the last one's time."""
    import polars as pl

    the_lake = open_lake(lake)
    fmt = output_format(format, out_file, the_lake.uri)
    from lake.watches import delivery_summary, read_watches
    from paperlake.output import emit

    watches = read_watches(the_lake, include_removed=all).join(delivery_summary(the_lake), on="watch_name", how="left", maintain_order="left")
    columns = WATCH_COLUMNS + ["delivered_count", "last_digest_at"] + (["status", "removed_at"] if all else [])
    emit(watches.with_columns(pl.col("delivered_count").fill_null(0)).select(columns), fmt, out, out_file)


@watch_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The watch to remove.")], lake: LakeOption = None) -> None:
    """Remove a watch: it is marked removed (kept in the table, with its deliveries), and sends no more digests."""
    the_lake = open_lake(lake)
    from lake import writes
    from lake.watches import UnknownWatchError, remove_watch

    try:
        remove_watch(the_lake, name, datetime.now(timezone.utc), writes.CommitInfo("watch remove"))
    except UnknownWatchError as error:
        fail(str(error))
    out.print(f"removed watch {escape(name)}: no more digests (its past deliveries stay recorded)", highlight=False)


def digest(
    name: Annotated[str, typer.Argument(help="The watch.")],
    since: Annotated[Optional[str], typer.Option(
        "--since", metavar="D",
        help="Every matching paper listed from this day on, sent or not (with the digest that held it). Default: what its next digest holds.",
    )] = None,
    format: FormatOption = None,
    out_file: OutOption = None,
    lake: LakeOption = None,
) -> None:
    """A watch's digest: the papers its next digest holds (or, with --since, all it matched since D); sends and records nothing."""
    since_date = _parse_day(since, "--since")
    the_lake = open_lake(lake)
    fmt = output_format(format, out_file, the_lake.uri)
    from lake import watches as lake_watches
    from paperlake.output import emit
    from transforms.watches import digest_rows, new_to_watch

    try:
        watch = lake_watches.watch_named(the_lake, name)
    except lake_watches.UnknownWatchError as error:
        fail(str(error))
    if since_date is None:
        papers = lake_watches.papers_listed_since(the_lake, watch["since_date"])
        found = new_to_watch(papers, watch, lake_watches.delivered_ids(the_lake, name))
        emit(digest_rows(found), fmt, out, out_file, title=f"digest-{name}: next digest")
        if found.is_empty():
            err.print(f"nothing new for watch {name}: no paper listed from {watch['since_date']} on matches it, or each one is in an earlier digest", highlight=False)
        return
    found = new_to_watch(lake_watches.papers_listed_since(the_lake, since_date), {**watch, "since_date": since_date}, [])
    if found.is_empty():
        err.print(f"no paper listed from {since_date} on matches watch {name}", highlight=False)
    held = lake_watches.deliveries_of(the_lake, name).select("paper_id", "digest_id")
    emit(digest_rows(found).join(held, on="paper_id", how="left", maintain_order="left"), fmt, out, out_file, title=f"digest-{name} since {since_date}")
