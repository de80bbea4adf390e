"""What the gold step (authors, topics) costs a daily load on a big lake with authors, categories and keywords.

    .venv/bin/python -m bench.bench_gold --papers 1000000 --scratch /tmp/gold-bench

Builds (once, kept in --scratch) ten years of papers at --papers in all, each with 1 to 8 authors drawn
from a pool of papers/3 names (85 % uniformly, 15 % from 2,000 prolific ones), 1 to 3 of 40 arXiv categories
and 1 to 4 of 500 keywords, listed on arXiv on its first day and on Hugging Face on one of the next two;
the gold tables rebuilt whole. Then a day: the next day's papers land, and the last 18 days' HF papers
get new upvotes (what a daily run's provisional days bring), through the real sightings and papers
writes and the real gold step (validated). Prints the step's time and where it went (bench/probe.py).
A lake built before `author_papers` existed gets its gold tables rebuilt once.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl

from lake import papers as lake_papers
from lake import sighting_writes, table_setup, writes
from lake.schemas import PAPERS, SIGHTINGS
from lake.store import Lake

START = date(2016, 1, 4)
DAYS = 3650
CATEGORIES = [f"cs.{c}" for c in ("LG", "CV", "CL", "AI", "RO", "IR", "NE", "CR", "DC", "SE")] + [f"x{n}.YZ" for n in range(30)]
HF_REFRESH_DAYS = 18


def synth_papers(first_day: int, day_count: int, per_day: int, pool: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n = day_count * per_day
    day_index = np.repeat(np.arange(first_day, first_day + day_count), per_day)
    dates = [START + timedelta(days=int(d)) for d in day_index]
    ids = [f"{d:%y%m}.{i % 100000:05d}" + (f".{i // 100000}" if i >= 100000 else "") for d, i in zip(dates, range(first_day * per_day, first_day * per_day + n))]
    ids = [i.replace(".", "", 1) if i.count(".") > 1 else i for i in ids]  # keep ids unique and arXiv-like enough
    author_counts = rng.integers(1, 9, n)
    # Most authors on a paper or two, a few prolific ones on hundreds.
    total = int(author_counts.sum())
    names = np.where(rng.random(total) < 0.85, rng.integers(0, pool, total), rng.zipf(1.5, total) % 2000).astype(str)
    split = np.cumsum(author_counts)[:-1]
    authors = [[f"Author {a}" for a in group] for group in np.split(names, split)]
    categories = [list(rng.choice(CATEGORIES, rng.integers(1, 4), replace=False)) for _ in range(n)]
    keywords = [[f"keyword {k}" for k in rng.choice(500, rng.integers(1, 5), replace=False)] for _ in range(n)]
    upvotes = rng.lognormal(2.3, 1.1, n).astype(np.int32)
    hf_dates = [d + timedelta(days=int(o)) for d, o in zip(dates, rng.integers(0, 3, n))]
    base = pl.DataFrame({"paper_id": ids, "authors": authors, "categories": categories, "keywords": keywords, "upvotes": upvotes, "d": dates, "hf": hf_dates})
    sightings = pl.concat([
        base.select("paper_id", pl.lit("arxiv").alias("feed"), pl.col("d").alias("snapshot_date"), "authors", "categories", pl.lit(None, pl.Int32).alias("upvotes"), pl.lit(None, pl.List(pl.String)).alias("ai_keywords")),
        base.select("paper_id", pl.lit("hf_daily").alias("feed"), pl.col("hf").alias("snapshot_date"), "authors", pl.lit(None, pl.List(pl.String)).alias("categories"), "upvotes", pl.col("keywords").alias("ai_keywords")),
    ]).with_columns(
        snapshot_id=pl.col("feed") + pl.col("snapshot_date").cast(pl.String), rank=pl.lit(1, pl.Int32), title=pl.col("paper_id"),
        title_key=pl.col("paper_id"), arxiv_id=pl.col("paper_id"),
    ).sort("snapshot_date")
    papers = base.select(
        "paper_id", pl.col("paper_id").alias("arxiv_id"), pl.col("paper_id").alias("title"), pl.col("paper_id").alias("title_key"),
        pl.col("d").alias("first_seen_date"), pl.col("hf").alias("last_seen_date"), pl.lit(2, pl.Int32).alias("days_seen"),
        pl.lit(2, pl.Int32).alias("sighting_count"), pl.lit(["arxiv", "hf_daily"]).alias("feeds"), "upvotes", "authors", "categories", "keywords",
    )
    return SIGHTINGS.conform(sightings), PAPERS.conform(papers)


def build(lake: Lake, paper_count: int) -> None:
    from flows.gold_update import rebuild_gold

    per_day = max(1, paper_count // DAYS)
    table_setup.ensure_tables(lake)
    for first in range(0, DAYS, 365):  # a year a commit, as a backfill commits in batches
        sightings, papers = synth_papers(first, min(365, DAYS - first), per_day, max(10, paper_count // 3), seed=first)
        writes.append(lake, SIGHTINGS, sightings, writes.CommitInfo("bench"))
        writes.append(lake, PAPERS, papers, writes.CommitInfo("bench"))
    rebuild_gold(lake, writes.CommitInfo("bench"), validate=False)


def one_day(lake: Lake, paper_count: int, day_index: int) -> dict:
    """The next day's papers, and new upvotes for the last 18 days' HF papers, then the gold step."""
    from bench.probe import Probe
    from flows import gold_update

    per_day = max(1, paper_count // DAYS)
    new_sightings, _ = synth_papers(day_index, 1, per_day, max(10, paper_count // 3), seed=day_index)
    since = START + timedelta(days=day_index - HF_REFRESH_DAYS)
    refreshed = lake.scan("sightings").filter((pl.col("feed") == "hf_daily") & (pl.col("snapshot_date") >= since)).collect()
    refreshed = refreshed.unique(["paper_id", "snapshot_date"]).with_columns(
        (pl.col("upvotes") + 1).alias("upvotes"), (pl.col("snapshot_id") + "-refetch").alias("snapshot_id"),
    )
    commit = writes.CommitInfo("bench-day", snapshot_dates=(START + timedelta(days=day_index),))
    writes.append(lake, SIGHTINGS, pl.concat([new_sightings, refreshed]), commit)
    touched = set(new_sightings["paper_id"].to_list()) | set(refreshed["paper_id"].to_list())
    from transforms.papers import summarize_papers

    days = sighting_writes.sightings_days(lake, sorted(touched))
    touched_sightings = sighting_writes.sightings_of(lake, sorted(touched), days=days)
    papers = summarize_papers(touched_sightings)
    lake_papers.upsert_papers(lake, papers, commit)
    probe = Probe().install()
    started = time.perf_counter()
    updated = gold_update.update_gold_tables(lake, touched_sightings, papers, [], commit, datetime(2026, 12, 1, tzinfo=timezone.utc))
    seconds = time.perf_counter() - started
    probe.uninstall()
    return {
        "touched_papers": len(touched), "author_rows": updated.author_count, "weeks": len(updated.weeks), "topic_rows": updated.topic_row_count,
        "gold_step_seconds": round(seconds, 3), "gold_lake_seconds": round(sum(s for k, s in probe.seconds.items() if k.startswith("lake.")), 3),
        "gold_lake_cpu_seconds": round(sum(s for k, s in probe.cpu_seconds.items() if k.startswith("lake.")), 3),
        "where": {k: round(v, 3) for k, v in sorted(probe.seconds.items(), key=lambda kv: -kv[1])},
        "where_cpu": {k: round(v, 3) for k, v in sorted(probe.cpu_seconds.items(), key=lambda kv: -kv[1]) if k.startswith("lake.") and v >= 0.01},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/paperlake-gold-bench"))
    parser.add_argument("--days", type=int, default=3, help="days to run, one after another")
    args = parser.parse_args()
    lake = Lake(str(args.scratch / f"lake-{args.papers}"))
    if not lake.has_table("authors"):
        started = time.perf_counter()
        build(lake, args.papers)
        print(f"built {args.papers:,} papers in {time.perf_counter() - started:.0f} s", flush=True)
    elif not lake.has_table("author_papers"):  # a lake built before author_papers: its gold tables rebuilt once
        from flows.gold_update import rebuild_gold

        started = time.perf_counter()
        table_setup.ensure_tables(lake)
        rebuild_gold(lake, writes.CommitInfo("bench"), validate=False)
        print(f"rebuilt the gold tables in {time.perf_counter() - started:.0f} s", flush=True)
    counts = {name: lake.delta(name).count() for name in ("papers", "sightings", "authors", "author_papers", "topics")}
    print(json.dumps(counts), flush=True)
    latest = lake.scan("sightings").select(pl.col("snapshot_date").max()).collect().item()
    for n in range(args.days):
        print(json.dumps(one_day(lake, args.papers, (latest - START).days + 1 + n)), flush=True)


if __name__ == "__main__":
    main()
