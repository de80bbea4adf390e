"""`python -m paperlake.demo` (what `make run` runs): the daily flow over the sample days, offline.

1. start the replay server on a free port of 127.0.0.1: it serves samples/hf_daily and samples/arxiv
   through the real APIs' paths, paging and formats, so the live fetch code runs unchanged;
2. point the feeds at it ($PAPERLAKE_HF_URL, $PAPERLAKE_ARXIV_URL; no 3-second arXiv pacing against
   a local server), for this process only;
3. run the daily flow for each sample day, in one process so Prefect's embedded server starts once;
4. ingest samples/pages (copies of the trending page: titles only) with the dates their file names
   give (their date lines have no year, and a fresh clone's file times are the checkout's);
5. print what landed.

Run it again: nothing is added (the same content fetched again is already in `snapshots`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Sequence

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from paperlake.config import quiet_prefect_defaults, resolve_lake_uri

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_DATES = (date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13))
TOP_COUNT = 5


@contextmanager
def feeds_pointed_at(base_url: str) -> Iterator[None]:
    """The live feeds' settings aimed at `base_url` while the block runs; the environment is restored after."""
    settings = {"PAPERLAKE_HF_URL": base_url, "PAPERLAKE_ARXIV_URL": base_url, "PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS": "0"}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_sample_days(lake_uri: str, days: Sequence[date], console: Console) -> tuple[list, list[str]]:
    """The daily flow for each day: results of the feed-days that landed, messages of those that failed."""
    from flows.daily import FeedsFailed, daily

    results, failures = [], []
    for day in days:
        try:  # called directly: a state read back from Prefect's API can lack its result (paperlake/cli_flows.py)
            landed, error = daily(day, lake_uri=lake_uri), None
        except FeedsFailed as failed:
            landed, error = failed.results, failed
        results += list(landed.values())
        failures += list(error.failures.values()) if error is not None else []
        console.print(f"daily {day}: " + ", ".join(f"{r.feed} {r.report.sighting_count} new sightings" for r in landed.values()))
    return results, failures


def ingest_pages(lake_uri: str, pages_dir: Path) -> list:
    """Each page copy with the date its file name gives; returns the load reports."""
    from flows.ingest import ingest_files

    return [ingest_files([str(page)], lake_uri, date.fromisoformat(page.stem)) for page in sorted(pages_dir.glob("*.txt"))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paperlake.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", help="lake root (default: $PAPERLAKE_LAKE, else ./data/lake)")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder with hf_daily/, arxiv/ and pages/")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print Prefect's logs (every task run)")
    args = parser.parse_args(argv)
    console = Console()
    lake_uri = resolve_lake_uri(args.lake)
    quiet_prefect_defaults()
    if not args.verbose:  # Prefect's ~160 INFO lines would bury what landed; the Prefect UI keeps them
        from paperlake.flow_console import quiet_prefect_console

        quiet_prefect_console()
    from paperlake.replay import ReplayServer

    with ReplayServer(args.samples) as server, feeds_pointed_at(server.base_url):
        console.print(f"[bold]replaying[/] {escape(str(args.samples))} (hf_daily, arxiv) at {server.base_url}")
        results, failures = run_sample_days(lake_uri, SAMPLE_DATES, console)
        request_count = len(server.requests)
    page_reports = ingest_pages(lake_uri, args.samples / "pages")
    print_landed(console, lake_uri, results, page_reports, request_count)
    for message in failures:
        console.print(f"[bold red]failed:[/] {escape(message)}")
    return 1 if failures else 0


# ---- what landed ----


def print_landed(console: Console, lake_uri: str, results: list, page_reports: list, request_count: int) -> None:
    from lake.store import Lake

    lake = Lake(lake_uri)
    console.print(feed_day_table(results, request_count))
    linked_count = sum(r.relinked_paper_count for r in page_reports)
    skipped_count = sum(len(r.skipped) for r in page_reports)
    console.print(
        f"archive: {len(page_reports)} page copies, {sum(r.sighting_count for r in page_reports)} new sightings"
        + (f", {skipped_count} already ingested" if skipped_count else "")
        + (f", {linked_count} title-only papers linked to arXiv ids" if linked_count else "")
    )
    console.print(tables_table(lake))
    papers = lake.read("papers")
    console.print(papers_table("papers seen on the most days", top_recurring(papers), console.width))
    console.print(papers_table("papers seen through several feeds", cross_feed(papers), console.width))
    console.print("explore the lake:", style="bold")
    for hint in explore_hints(lake_uri):
        console.print(escape(f"  {hint}"), soft_wrap=True, highlight=False)


def explore_hints(lake_uri: str) -> list[str]:
    """Commands to paste next: the command as installed and the lake named, so they work from any folder."""
    lake = lake_uri if "://" in lake_uri else str(Path(lake_uri).absolute())
    program = installed_command()
    return [f"{program} {command} --lake {shlex.quote(lake)}" for command in
            ("trending --until 2024-03-13 --days 3", "show 2403.05017", "history papers")]


def installed_command() -> str:
    """`paperlake` as this Python installed it, by its absolute path: a hint pasted in any folder runs it."""
    beside = Path(sys.executable).parent / "paperlake"
    if beside.exists():
        return shlex.quote(str(beside.absolute()))
    return shutil.which("paperlake") or f"{shlex.quote(sys.executable)} -m paperlake.cli"


def feed_day_table(results: list, request_count: int) -> Table:
    table = Table(
        "feed", "day", "snapshot", "sightings", "fetch s", "ingest s",
        title="fetch and ingest time per feed-day", caption=f"{request_count} HTTP requests to the replay server on 127.0.0.1",
    )
    for r in sorted(results, key=lambda r: (r.feed, r.day)):
        status = ", ".join(sorted({s.status for s in r.report.snapshots}))
        table.add_row(r.feed, str(r.day), status, str(r.report.sighting_count), f"{r.fetch_seconds:.2f}", f"{r.load_seconds:.2f}")
    return table


def tables_table(lake) -> Table:
    from lake.schemas import TABLES

    table = Table("table", "rows", "Delta version", title=f"lake at {escape(lake.uri)}")
    for name in TABLES:
        if lake.has_table(name):
            delta = lake.delta(name)
            table.add_row(name, str(delta.count()), str(delta.version()))
        else:
            table.add_row(name, "-", "-")
    return table


def top_recurring(papers: pl.DataFrame) -> pl.DataFrame:
    return papers.sort(["days_seen", "sighting_count", "title"], descending=[True, True, False]).head(TOP_COUNT)


def cross_feed(papers: pl.DataFrame) -> pl.DataFrame:
    several = papers.filter(pl.col("feeds").list.len() > 1).with_columns(feed_count=pl.col("feeds").list.len())
    return several.sort(["feed_count", "days_seen", "title"], descending=[True, True, False])


def papers_table(title: str, papers: pl.DataFrame, width: int) -> Table:
    rows = [(str(row["days_seen"]), row["paper_id"], ",".join(row["feeds"]), row["title"]) for row in papers.head(10).iter_rows(named=True)]
    headers = ("days", "paper_id", "feeds")
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(headers)]
    # Short columns keep their width; titles are cut to what the terminal has left (3 characters of frame per column).
    title_width = max(20, width - sum(widths) - 3 * (len(headers) + 1) - 1)
    table = Table(*headers, "title", title=f"{title} ({papers.height}{', the first 10' if papers.height > 10 else ''})")
    for row in rows:
        table.add_row(*row[:3], escape(_shorten(row[3], title_width)))
    return table


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
