"""Benchmark: `paperlake maintain` on the ten-year lake after a month of daily runs (issue 14, target 6).

A month of daily commits is what a deployment has between two maintenance passes: each day one
append of the day's snapshots and sightings and one papers MERGE (the writes the daily load makes,
through lake/writes.py and lake/papers.py), the day's feed_days rows. Then reads the queries make (trending, a paper's
history, the month's sightings) are timed, `paperlake maintain` runs from a fresh process, and the
same reads are timed again.

    .venv/bin/python -m bench.bench_maintain LAKE [--days 30]     # changes LAKE: use a copy
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import big_lake  # noqa: E402
from bench.bench_dupes import vocabulary  # noqa: E402
from bench.measure import run_process, warm_repeat_timed  # noqa: E402
from lake import papers as lake_papers  # noqa: E402
from lake import paper_history, queries, writes  # noqa: E402
from lake.schemas import FEED_DAYS, SIGHTINGS, SNAPSHOTS  # noqa: E402
from lake.store import Lake  # noqa: E402

TABLES = ("snapshots", "sightings", "papers", "feed_days")


def daily_commits(lake: Lake, day_count: int, seed: int = 30) -> dict:
    """`day_count` days after the lake's last one, each written as the daily load writes it."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    vocab[: len(big_lake.COMMON_WORDS)] = big_lake.COMMON_WORDS
    surnames = vocabulary(np.random.default_rng(seed + 1))[:20000]
    last_date = lake.scan("sightings").select(pl.col("snapshot_date").max()).collect().item()
    recent = lake.scan("papers").filter(pl.col("first_seen_date") > last_date - timedelta(days=8)).select(
        *big_lake.TEXT_COLUMNS, "first_seen_date", pl.lit(None, pl.List(pl.String)).alias("authors")).collect()
    seconds = []
    for offset in range(1, day_count + 1):
        day = last_date + timedelta(days=offset)
        started = time.perf_counter()
        papers, listings = big_lake._month_papers(rng, vocab, surnames, [day], big_lake.Volume(), day)
        # The generator numbers each call's papers from 1: the day in the id keeps the days apart.
        day_id = pl.lit(f"{day:%y%m}.{day.day:02d}") + pl.col("paper_id").str.slice(5)
        papers = papers.with_columns(day_id.alias("paper_id"), day_id.alias("arxiv_id"))
        listings = listings.filter(pl.col("arxiv_version") == 1).with_columns(day_id.alias("paper_id"), day_id.alias("arxiv_id"))
        hf = big_lake._hf_sightings(rng, papers, recent, [day], day)
        recent = pl.concat([recent, papers.select(*big_lake.TEXT_COLUMNS, "first_seen_date", "authors")])
        sightings = pl.concat([listings, hf], how="diagonal_relaxed").pipe(SIGHTINGS.conform)
        commit = writes.CommitInfo("bench-daily", snapshot_dates=(day,))
        writes.append(lake, SNAPSHOTS, big_lake._snapshots(sightings), commit)
        writes.append(lake, SIGHTINGS, sightings, commit)
        lake_papers.upsert_papers(lake, big_lake._with_hf_counts(papers.with_columns(pl.col("first_seen_date").alias("last_seen_date")), hf), commit)
        writes.append(lake, FEED_DAYS, big_lake._feed_days(sightings, [day]), commit)
        seconds.append(time.perf_counter() - started)
    return {"last_date": last_date + timedelta(days=day_count), "day_seconds": seconds}


def reads(uri: str, last_date, paper_id: str) -> dict:
    """The reads whose speed maintenance is for: each opens the lake afresh, as a command does."""
    month = queries.Window(since_date=last_date - timedelta(days=29), until_date=last_date)
    return {
        "trending": lambda: queries.trending(Lake(uri).scan("sightings"), last_date, 30),
        "show": lambda: paper_history.show_paper(Lake(uri).scan("sightings"), Lake(uri).scan("papers"), paper_id),
        "month_sightings": lambda: Lake(uri).scan("sightings").filter(month.inside()).collect(),
        "count_papers": lambda: Lake(uri).scan("papers").select(pl.len()).collect(),
    }


def add_reads(workload, timed_reads: dict, when: str, repeat: int) -> None:
    """Each read's wall and CPU seconds (warm: the first run is not timed) `when` maintain ran."""
    for key, read in timed_reads.items():
        walls, cpus = warm_repeat_timed(read, repeat)
        workload.add(f"{key}_{when}_seconds", "s", walls, f"{when} maintain, files in the page cache")
        workload.add(f"{key}_{when}_cpu_seconds", "s", cpus, f"{when} maintain, CPU time (the machine's load leaves it alone)")


def month_then_maintain(lake_path: Path, env: dict[str, str] | None = None, day_count: int = 30, repeat: int = 3):
    """Target 6: the month of daily commits, reads before, `paperlake maintain`, reads after."""
    from bench.workloads import PAPERLAKE, Workload
    from lake.maintenance import file_stats

    workload = Workload("maintain_10y_month")
    uri = str(lake_path)
    lake = Lake(uri)
    month = daily_commits(lake, day_count)
    workload.add("daily_write_seconds", "s", month["day_seconds"], "one day's appends and papers MERGE (the month before maintain)")
    # A paper of the month (about 20 days before its end when the month is that long), for `show`.
    paper_id = (
        lake.scan("papers").filter(pl.col("first_seen_date") >= month["last_date"] - timedelta(days=20))
        .sort("first_seen_date", "paper_id").select("paper_id").head(1).collect().item()
    )
    timed_reads = reads(uri, month["last_date"], paper_id)
    files_before = {t: file_stats(lake.delta(t)).live_file_count for t in TABLES}
    add_reads(workload, timed_reads, "before", repeat)
    command = run_process([*PAPERLAKE, "maintain", "--lake", uri], env=env).check("paperlake maintain")
    workload.add("maintain_command_seconds", "s", [command.wall_seconds], "`paperlake maintain` from process start")
    workload.add("maintain_peak_rss_mb", "MB", [command.peak_rss_mb], "of the command")
    add_reads(workload, timed_reads, "after", repeat)
    workload.details = {
        "daily_commit_days": day_count, "live_files_before": files_before,
        "live_files_after": {t: file_stats(lake.delta(t)).live_file_count for t in TABLES},
        "maintain_output": command.stdout[-3000:],
    }
    return workload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake", type=Path)
    parser.add_argument("--days", type=int, default=30)
    options = parser.parse_args(argv)
    workload = month_then_maintain(options.lake, day_count=options.days)
    for figure in workload.figures.values():
        print(f"{figure.name}: median {figure.median:.3f} {figure.unit} ({len(figure.values)} runs)")
    print(workload.details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
