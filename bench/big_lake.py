"""A ten-year lake at arXiv cs.* volume, written straight into the project's tables (no flows).

The queries, `dupes` and `maintain` workloads (bench/bench_queries.py, bench/bench_dupes.py) need the
ten-year lake; going through the backfill takes most of an hour, so this writes what the backfill
leaves, month by month, with deltalake and the project's schemas:

- arXiv: 500 new submissions a weekday in the first year, 20 % more every year (about 2,580 a weekday
  in the tenth), a tenth of that at weekends; a third of papers get a v2 3 to 60 days later, a tenth
  of those a v3; one arXiv snapshot a day, one sighting per listed version (the version's day);
- Hugging Face: 20 to 60 papers a day drawn from the last week's submissions, each day observed
  four times over two weeks with its upvotes moving (one snapshot per observation);
- papers: one row per paper, in first-seen order (as the backfill's MERGEs leave them), with its
  counts, feeds and versions; feed_days: every feed-day final.

Titles and abstracts are Zipf-distributed made-up words (bench/bench_dupes.py) with common ML words
at the top ranks, so searches hit; a snapshot's raw content is a short listing, not the full Atom
(the queries never read it). One commit per table and month: 120 appends, 4 MB files.

    .venv/bin/python -m bench.big_lake PATH [--years 10] [--per-day 500] [--growth 0.2] [--last-years 1]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_dupes import PHRASE_COUNT, vocabulary, zipf_words  # noqa: E402
from lake import table_setup, writes  # noqa: E402
from lake.schemas import FEED_DAYS, PAPERS, SIGHTINGS, SNAPSHOTS  # noqa: E402
from lake.store import Lake  # noqa: E402

START_DATE = date(2016, 1, 1)
COMMON_WORDS = (
    "learning model neural language models transformer diffusion graph reasoning agents vision "
    "large training data robust efficient sparse attention generation benchmark reinforcement policy"
).split()
TEXT_COLUMNS = ("paper_id", "title", "abstract", "title_key")
HF_OBSERVATIONS = (0, 2, 6, 13)  # days after the listing an HF day was fetched again with moved counts


@dataclass(frozen=True)
class Volume:
    per_weekday: int = 500
    growth: float = 0.2
    weekend_share: float = 0.1

    def count_on(self, day: date) -> int:
        base = self.per_weekday * (1 + self.growth) ** ((day - START_DATE).days / 365.25)
        return int(base * (self.weekend_share if day.weekday() >= 5 else 1))


@dataclass
class Built:
    paper_count: int = 0
    sighting_count: int = 0
    snapshot_count: int = 0
    seconds: float = 0.0


def build(
    root: Path, years: int = 10, volume: Volume = Volume(), seed: int = 14, log=lambda line: print(line, flush=True), last_years: int | None = None
) -> Built:
    """Write the lake at `root` (which must not hold one); the last day is START_DATE + years*365 - 1.
    `last_years`: only the last of those years, at their volume (a small lake whose days are year ten's)."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    vocab[: len(COMMON_WORDS)] = COMMON_WORDS
    surnames = vocabulary(np.random.default_rng(seed + 1))[:20000]
    lake = Lake(str(root))
    table_setup.ensure_tables(lake)
    last_date = START_DATE + timedelta(days=365 * years - 1)
    built, carried = Built(), SIGHTINGS.empty_frame()
    recent = PAPERS.empty_frame().select(*TEXT_COLUMNS, "first_seen_date").with_columns(pl.lit(None, pl.List(pl.String)).alias("authors"))
    month_start = START_DATE if last_years is None else max(START_DATE, last_date - timedelta(days=365 * last_years - 1))
    while month_start <= last_date:
        month_end = min(_next_month(month_start) - timedelta(days=1), last_date)
        days = [month_start + timedelta(days=i) for i in range((month_end - month_start).days + 1)]
        papers, listings = _month_papers(rng, vocab, surnames, days, volume, last_date)
        hf = _hf_sightings(rng, papers, recent, days, last_date)
        recent = pl.concat([recent, papers.select(*TEXT_COLUMNS, "first_seen_date", "authors")]).filter(pl.col("first_seen_date") > month_end - timedelta(days=8))
        sightings = pl.concat([carried, listings, hf], how="diagonal_relaxed")
        due = sightings.filter(pl.col("snapshot_date") <= month_end).sort("snapshot_date", "feed", "snapshot_id", "rank")
        carried = sightings.filter(pl.col("snapshot_date") > month_end)
        papers = _with_hf_counts(papers, hf)
        commit = writes.CommitInfo("bench-big-lake", snapshot_dates=(month_start, month_end))
        writes.append(lake, SIGHTINGS, due, commit)
        writes.append(lake, PAPERS, papers, commit)
        writes.append(lake, SNAPSHOTS, _snapshots(due), commit)
        writes.append(lake, FEED_DAYS, _feed_days(due, days), commit)
        built.paper_count += papers.height
        built.sighting_count += due.height
        built.snapshot_count += due.select("snapshot_id").n_unique()
        log(f"{month_start:%Y-%m}: {papers.height} papers, {due.height} sightings ({time.perf_counter() - started:.0f} s)")
        month_start = _next_month(month_start)
    built.seconds = time.perf_counter() - started
    return built


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _texts(vocab: np.ndarray, tokens: np.ndarray, lengths: np.ndarray) -> pl.Series:
    """Runs of `lengths` words joined by spaces, all in Arrow (no Python string per word)."""
    words = pa.array(vocab).take(pa.array(tokens))
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    return pl.Series(pa.ListArray.from_arrays(offsets, words)).list.join(" ")


def _abstracts(rng, vocab: np.ndarray, n: int) -> pl.Series:
    """6-10 sentences of 12-26 words, each opening with a stock phrase (bench/bench_dupes.py), about 1,100 characters."""
    phrases = zipf_words(rng, 300, PHRASE_COUNT * 4).reshape(PHRASE_COUNT, 4)
    sentence_counts = rng.integers(6, 11, n)
    sentence_lengths = 4 + rng.integers(8, 23, int(sentence_counts.sum()))
    tokens = zipf_words(rng, vocab.size, int(sentence_lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(sentence_lengths)[:-1]])
    phrase_of = zipf_words(rng, PHRASE_COUNT, starts.size)
    for k in range(4):
        tokens[starts + k] = phrases[phrase_of, k]
    sentences = _texts(vocab, tokens, sentence_lengths).to_arrow().cast(pa.string())
    offsets = pa.array(np.concatenate([[0], np.cumsum(sentence_counts)]).astype(np.int32))
    return pl.Series(pa.ListArray.from_arrays(offsets, sentences)).list.join(". ") + "."


def _month_papers(rng, vocab, surnames, days: list[date], volume: Volume, last_date: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    counts = np.array([volume.count_on(d) for d in days])
    n = int(counts.sum())
    first = np.repeat(np.array(days, dtype="datetime64[D]"), counts)
    yymm = f"{days[0]:%y%m}"
    ids = pl.Series([f"{yymm}.{i:05d}" for i in range(1, n + 1)])
    title_lengths = rng.integers(6, 15, n)
    titles = _texts(vocab, zipf_words(rng, vocab.size, int(title_lengths.sum())), title_lengths).str.to_titlecase()
    abstracts = _abstracts(rng, vocab, n)
    author_counts = rng.integers(1, 9, n)
    names = pa.array(surnames).take(pa.array(rng.integers(0, surnames.size, int(author_counts.sum()))))
    authors = pl.Series(pa.ListArray.from_arrays(pa.array(np.concatenate([[0], np.cumsum(author_counts)]).astype(np.int32)), names))
    version_count = 1 + (rng.random(n) < 1 / 3) + (rng.random(n) < 1 / 30)
    v2 = first + rng.integers(3, 61, n).astype("timedelta64[D]")
    v3 = v2 + rng.integers(7, 120, n).astype("timedelta64[D]")
    cap = np.datetime64(last_date)
    papers = pl.DataFrame({
        "paper_id": ids, "arxiv_id": ids, "title": titles, "abstract": abstracts, "authors": authors,
        "first_seen_date": first, "version_count": version_count.astype(np.int32),
        "v2_date": np.where(version_count >= 2, np.minimum(v2, cap), np.datetime64("NaT")),
        "v3_date": np.where(version_count >= 3, np.minimum(v3, cap), np.datetime64("NaT")),
    }).with_columns(
        pl.col("title").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ").alias("title_key"),
        pl.col("first_seen_date").cast(pl.Date), pl.col("v2_date").cast(pl.Date), pl.col("v3_date").cast(pl.Date),
        pl.lit("cs.LG").alias("primary_category"),
    )
    listings = pl.concat([
        papers.select(pl.all(), pl.col("first_seen_date").alias("snapshot_date"), pl.lit(1, pl.Int32).alias("arxiv_version")),
        papers.filter(pl.col("v2_date").is_not_null()).select(pl.all(), pl.col("v2_date").alias("snapshot_date"), pl.lit(2, pl.Int32).alias("arxiv_version")),
        papers.filter(pl.col("v3_date").is_not_null()).select(pl.all(), pl.col("v3_date").alias("snapshot_date"), pl.lit(3, pl.Int32).alias("arxiv_version")),
    ]).with_columns(
        pl.lit("arxiv").alias("feed"),
        pl.col("first_seen_date").alias("published_date"),
        pl.col("snapshot_date").alias("version_date"),
        (pl.lit("arxiv-") + pl.col("snapshot_date").cast(pl.String)).alias("snapshot_id"),
        pl.col("snapshot_date").cast(pl.Datetime("us", "UTC")).dt.offset_by("1d").alias("fetched_at"),
    ).with_columns(pl.int_range(1, pl.len() + 1).over("snapshot_date").cast(pl.Int32).alias("rank"))
    papers = papers.with_columns(
        pl.max_horizontal("first_seen_date", "v2_date", "v3_date").alias("last_seen_date"),
        pl.col("version_count").alias("latest_version"),
    )
    return papers, SIGHTINGS.conform(listings)


def _hf_sightings(rng, papers: pl.DataFrame, recent: pl.DataFrame, days: list[date], last_date: date) -> pl.DataFrame:
    """Each day 20-60 papers of the last week, observed again while their upvotes move."""
    pool = pl.concat([recent, papers.select(*TEXT_COLUMNS, "first_seen_date", "authors")])
    frames = []
    for day in days:
        choices = pool.filter(pl.col("first_seen_date").is_between(day - timedelta(days=7), day))
        if choices.is_empty():
            continue
        picked = choices.sample(min(choices.height, int(rng.integers(20, 61))), seed=int(rng.integers(1 << 30)))
        base = rng.gamma(1.2, 25, picked.height)
        for k, later in enumerate(HF_OBSERVATIONS):
            fetched = datetime.combine(day + timedelta(days=later), datetime.min.time(), timezone.utc)
            if fetched.date() > last_date:
                break
            frames.append(picked.with_columns(
                pl.lit(day).alias("snapshot_date"), pl.lit("hf_daily").alias("feed"),
                pl.lit(_sha(f"hf-{day}-{k}")).alias("snapshot_id"), pl.lit(fetched).alias("fetched_at"),
                pl.Series("upvotes", (base * (1 + 0.5 * k)).astype(np.int32)),
                pl.Series("comment_count", (base / 10 * (1 + k)).astype(np.int32)),
                pl.int_range(1, pl.len() + 1).cast(pl.Int32).alias("rank"),
            ))
    if not frames:
        return SIGHTINGS.empty_frame()
    return pl.concat(frames).with_columns(pl.col("paper_id").alias("arxiv_id")).pipe(SIGHTINGS.conform)


def _with_hf_counts(papers: pl.DataFrame, hf: pl.DataFrame) -> pl.DataFrame:
    latest = hf.sort("fetched_at").group_by("paper_id").agg(
        pl.col("upvotes").last(), pl.col("comment_count").last(), pl.col("fetched_at").last().alias("counts_observed_at"),
        pl.col("snapshot_date").max().alias("hf_last_date"), pl.col("snapshot_date").n_unique().alias("hf_days"),
    )
    return papers.join(latest, on="paper_id", how="left").with_columns(
        pl.max_horizontal("last_seen_date", "hf_last_date").alias("last_seen_date"),
        (pl.col("version_count") + pl.col("hf_days").fill_null(0)).cast(pl.Int32).alias("days_seen"),
        (pl.col("version_count") + pl.col("hf_days").fill_null(0)).cast(pl.Int32).alias("sighting_count"),
        pl.when(pl.col("hf_days").is_not_null()).then(pl.lit(["arxiv", "hf_daily"])).otherwise(pl.lit(["arxiv"])).alias("feeds"),
    ).pipe(PAPERS.conform)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _snapshots(sightings: pl.DataFrame) -> pl.DataFrame:
    listing = sightings.group_by("snapshot_id", "feed", "snapshot_date").agg(
        pl.col("fetched_at").first(), pl.len().cast(pl.Int32).alias("row_count"),
        pl.col("paper_id").str.join("\n").alias("text"),
    )
    return listing.with_columns(
        pl.concat_str(pl.lit("bench://"), "feed", pl.lit("/"), pl.col("snapshot_date").cast(pl.String)).alias("source"),
        pl.when(pl.col("feed") == "arxiv").then(pl.lit("arxiv_atom")).otherwise(pl.lit("hf_json")).alias("format"),
        pl.col("text").str.len_bytes().cast(pl.Int64).alias("byte_count"),
        pl.col("text").cast(pl.Binary).alias("content"), pl.lit("ok").alias("parse_status"),
        pl.col("fetched_at").alias("loaded_at"),
    ).pipe(SNAPSHOTS.conform)


def _feed_days(sightings: pl.DataFrame, days: list[date]) -> pl.DataFrame:
    per_day = sightings.group_by("feed", "snapshot_date").agg(
        pl.col("fetched_at").min().alias("first_fetched_at"), pl.col("fetched_at").max().alias("last_fetched_at"),
        pl.col("snapshot_id").n_unique().cast(pl.Int32).alias("change_count"),
        pl.col("snapshot_id").unique().sort().alias("snapshot_ids"), pl.len().cast(pl.Int32).alias("row_count"),
    )
    return per_day.with_columns(
        pl.lit("final").alias("status"), pl.col("last_fetched_at").alias("settles_at"), pl.col("last_fetched_at").alias("last_changed_at"),
        pl.col("change_count").alias("fetch_count"), pl.col("last_fetched_at").alias("final_at"),
    ).pipe(FEED_DAYS.conform)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--growth", type=float, default=0.2)
    parser.add_argument("--last-years", type=int, default=None, help="write only the last N of the years (their volume, their dates)")
    options = parser.parse_args(argv)
    built = build(options.path, options.years, Volume(options.per_day, options.growth), last_years=options.last_years)
    print(f"{built.paper_count} papers, {built.sighting_count} sightings, {built.snapshot_count} snapshots in {built.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
