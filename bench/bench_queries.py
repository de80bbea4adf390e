"""Benchmark: `paperlake papers --since` and `paperlake trending` on one year of daily snapshots.

Builds a synthetic lake straight with deltalake/polars (not through Prefect): 365 days of three
feeds, 200 sightings a day (about 73,000), one append commit per feed and day as the daily flow
writes them (so about 1,100 small files), papers recurring for 1 to 10 days. Then times the query
functions in-process (their own work: scan, filter, aggregate, sort) and the whole command in a
fresh process (which adds Python start-up and imports), and prints a markdown table.

    .venv/bin/python -m bench.bench_queries [--days 365] [--per-day 200] [--lake PATH] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/bench_queries.py` works too

from lake import paper_history, queries, table_setup, writes  # noqa: E402
from lake.schemas import PAPERS, SIGHTINGS  # noqa: E402
from lake.store import Lake  # noqa: E402

FEED_SHARES = {"hf_daily": 0.25, "arxiv": 0.5, "archive": 0.25}  # of each day's sightings
WORDS = "sparse routing transformer diffusion agent reasoning benchmark vision language robot graph kernel proof".split()


def synthetic_sightings(days: int, per_day: int, start: date, seed: int = 7) -> pl.DataFrame:
    """Each feed lists per_day * share papers a day; a listed paper stays 1-10 days, then makes room."""
    rng = random.Random(seed)
    rows, next_id = [], 0
    for feed, share in FEED_SHARES.items():
        slots = int(per_day * share)
        on_list: dict[str, int] = {}  # paper id -> days left
        for offset in range(days):
            while len(on_list) < slots:
                next_id += 1
                on_list[f"24{next_id // 100000:02d}.{next_id % 100000:05d}"] = rng.randint(1, 10)
            day = start + timedelta(days=offset)
            for rank, paper_id in enumerate(sorted(on_list), start=1):
                rows.append(_row(rng, feed, day, rank, paper_id, offset))
            on_list = {p: left - 1 for p, left in on_list.items() if left > 1}
    return SIGHTINGS.conform(pl.DataFrame(rows, infer_schema_length=None))


def _row(rng: random.Random, feed: str, day: date, rank: int, paper_id: str, offset: int) -> dict:
    title = " ".join(rng.sample(WORDS, 4)).title() + f" {paper_id}"
    return {
        "snapshot_id": f"{feed}-{day}", "paper_id": paper_id, "feed": feed, "snapshot_date": day, "rank": rank,
        "title": title, "abstract": f"We study {title.lower()} on {rng.choice(WORDS)} tasks.", "title_key": title.lower(),
        "arxiv_id": paper_id, "arxiv_version": 1 if feed == "arxiv" else None,
        "upvotes": rng.randint(0, 200) + offset % 7 if feed == "hf_daily" else None,
    }


def build_lake(root: Path, days: int, per_day: int) -> tuple[Lake, int, float]:
    from transforms.papers import summarize_papers

    lake = Lake(str(root))
    table_setup.ensure_tables(lake)
    sightings = synthetic_sightings(days, per_day, date(2025, 1, 1))
    started = time.perf_counter()
    # One append per feed and day, as the daily flow commits them: the file layout a real lake has.
    for (day, feed), batch in sightings.group_by("snapshot_date", "feed", maintain_order=True):
        writes.append(lake, SIGHTINGS, batch, writes.CommitInfo("bench", feed=feed, snapshot_dates=(day,)))
    writes.append(lake, PAPERS, summarize_papers(sightings), writes.CommitInfo("bench"))
    return lake, sightings.height, time.perf_counter() - started


def timed(function, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times), result


def command_seconds(args: list[str], lake: Lake, repeat: int) -> float:
    def run():
        done = subprocess.run([sys.executable, "-m", "paperlake.cli", *args, "--lake", lake.uri, "-f", "csv"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return timed(run, repeat)[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=200)
    parser.add_argument("--lake", type=Path, help="Build the lake here and keep it (default: a temporary folder).")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        root = options.lake or Path(scratch) / "lake"
        lake, sighting_count, build_seconds = build_lake(root, options.days, options.per_day)
        last_day = date(2025, 1, 1) + timedelta(days=options.days - 1)
        since = last_day - timedelta(days=29)
        file_count = len(lake.delta("sightings").file_uris())
        print(f"lake: {sighting_count} sightings over {options.days} days, {file_count} sightings files, built in {build_seconds:.1f} s\n")
        cases = [
            ("papers --since (last 30 days)", lambda: queries.papers_in_window(lake.scan("sightings"), queries.Window(since_date=since), 50),
             ["papers", "--since", since.isoformat()]),
            ("papers --since --search", lambda: queries.search(lake.scan("sightings"), "sparse routing", queries.Window(since_date=since), 50),
             ["papers", "--since", since.isoformat(), "--search", "sparse routing"]),
            ("trending --days 7", lambda: queries.trending(lake.scan("sightings"), last_day, 7),
             ["trending", "--days", "7", "--until", last_day.isoformat()]),
            ("trending --days 365", lambda: queries.trending(lake.scan("sightings"), last_day, 365),
             ["trending", "--days", "365", "--until", last_day.isoformat()]),
        ]
        print("| command | rows | own work, median (s) | own work, max (s) | whole command, median (s) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for label, function, args in cases:
            median, worst, result = timed(function, options.repeat)
            whole = command_seconds(args, lake, min(options.repeat, 3))
            print(f"| `{label}` | {result.height} | {median:.3f} | {worst:.3f} | {whole:.2f} |")


# ---- the ten-year lake (issue 14, target 4) ----

SEARCH_WORDS = "graph reasoning"
REPORT_DAYS = 90  # the report's default window (`paperlake report` without --since)


def _search_as_the_command(lake: Lake) -> pl.DataFrame:
    """`papers --search SEARCH_WORDS`'s own work: the columns it prints, the dates from the log."""
    from lake.search_words import papers_last_seen_range
    from paperlake.cli_read import PAPER_COLUMNS

    return queries.search(lake.scan("sightings"), SEARCH_WORDS, queries.Window(), 50, lake.scan("papers"), lake.scan("search_words"),
                          PAPER_COLUMNS, papers_last_seen_range(lake))


def ten_year_queries(lake_path: Path, scratch: Path, env: dict[str, str] | None = None, repeat: int = 3):
    """Target 4 on a ten-year lake: trending, search, show, count and report, each as its own work
    (the query function in this process, the lake opened afresh each time) and as a command from
    process start; the report's page timed in headless Chromium (time to first chart drawn)."""
    from bench.measure import repeat_timed, run_process
    from bench.page_timing import chromium, time_to_charts
    from bench.workloads import PAPERLAKE, Workload
    from lake.sql import run_query

    workload = Workload("queries_10y")
    uri = str(lake_path)
    if not Lake(uri).has_table("search_words"):  # bench/big_lake.py writes papers directly: the index is built as on an old lake
        build = run_process([*PAPERLAKE, "search-index", "--lake", uri], env=env).check("paperlake search-index")
        workload.add("search_index_build_seconds", "s", [build.wall_seconds], "`paperlake search-index`: the word index from every paper")
        workload.add("search_index_build_peak_rss_mb", "MB", [build.peak_rss_mb], "of the build")
    last_date = Lake(uri).scan("sightings").select(pl.col("snapshot_date").max()).collect().item()
    paper_id = _paper_with_history(Lake(uri), last_date)
    own = {
        "trending_own_seconds": lambda: queries.trending(Lake(uri).scan("sightings"), last_date, 30),
        "search_own_seconds": lambda: _search_as_the_command(Lake(uri)),
        "show_own_seconds": lambda: paper_history.show_paper(Lake(uri).scan("sightings"), Lake(uri).scan("papers"), paper_id),
        "count_papers_own_seconds": lambda: run_query(Lake(uri), "select count(*) from papers"),
    }
    for key, function in own.items():
        workload.add(key, "s", repeat_timed(function, repeat), "in-process: open, read, filter, aggregate, sort")
    commands = {
        "trending": ["trending", "--days", "30", "--until", last_date.isoformat(), "-f", "csv"],
        "search": ["papers", "--search", SEARCH_WORDS, "-f", "csv"],
        "show": ["show", paper_id],
        "count_papers": ["query", "select count(*) from papers", "-f", "csv"],
    }
    for key, args in commands.items():
        runs = [run_process([*PAPERLAKE, *args, "--lake", uri], env=env).check(" ".join(args[:2])) for _ in range(repeat)]
        workload.add(f"{key}_command_seconds", "s", [r.wall_seconds for r in runs], "from process start to exit")
        workload.add(f"{key}_peak_rss_mb", "MB", [r.peak_rss_mb for r in runs], "of the command")
    page = scratch / "report.html"
    report = run_process([*PAPERLAKE, "report", "--out", str(page), "--lake", uri], env=env).check("paperlake report")
    workload.add("report_command_seconds", "s", [report.wall_seconds], "`paperlake report` (its default window) from process start")
    workload.add("report_peak_rss_mb", "MB", [report.peak_rss_mb], "of the command")
    workload.details = {"last_date": str(last_date), "show_paper_id": paper_id, "search": SEARCH_WORDS,
                        "report": report.stdout.strip(), "report_bytes": page.stat().st_size}
    if chromium():
        drawn = [time_to_charts(page) for _ in range(repeat)]
        workload.add("report_first_chart_seconds", "s", [d["first_chart_ms"] / 1000 for d in drawn], "Chromium: navigation to the first chart drawn")
        workload.add("report_all_charts_seconds", "s", [d["all_charts_ms"] / 1000 for d in drawn], "Chromium: navigation to every chart drawn")
        workload.details["report_charts"] = drawn[-1]
    return workload


def _paper_with_history(lake: Lake, last_date: date) -> str:
    """A paper of the last year with the longest history (versions and Hugging Face observations)."""
    recent = lake.scan("papers").filter(pl.col("first_seen_date") >= last_date - timedelta(days=365))
    best = recent.sort(["sighting_count", "paper_id"], descending=[True, False]).select("paper_id").head(1).collect()
    return best.item() if best.height else lake.scan("papers").select("paper_id").head(1).collect().item()


if __name__ == "__main__":
    main()
