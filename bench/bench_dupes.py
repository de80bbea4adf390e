"""Benchmark: `paperlake dupes` (near-duplicate pairs) on a ten-year lake's worth of papers.

Builds a synthetic `papers` table of 300,000 papers (about ten years of the feeds) whose titles and
abstracts have the word statistics of real ones: a Zipf-distributed vocabulary, and abstracts made
of sentences that open with stock phrases ("in this paper we propose"), so common phrases are
common and the blocking meets the large blocks a real lake has. Among them it plants labelled pairs:

- true duplicates: a title with a typo (title-only copy), a subtitle added, a new title over the
  same abstract, the same abstract lightly edited;
- distinct works that look alike: one title word changed over a different abstract, and an
  extended version (subtitle added, half of the abstract rewritten), like the two PIIP papers.

Then it times the pair finding in-process, and the whole command in a fresh process against a
lake holding that table (first run, which stores the suggestions, then a second run), and prints
precision and recall on the planted pairs at the default minimum score.

    .venv/bin/python -m bench.bench_dupes [--papers 300000] [--planted 1000] [--catalog] [--lake PATH] [--keep]

With --catalog it uses instead the papers of the ten-year benchmark's own generator
(bench/synth.py: 3,650 days of 200 a day, about 293,000 papers, no planted pairs), and with --lake
pointing at an existing lake (say, one bench/run.py built) it times the command on that lake.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/bench_dupes.py` works too

from lake import table_setup, writes  # noqa: E402
from lake.schemas import PAPERS  # noqa: E402
from lake.store import Lake  # noqa: E402
from transforms.dupes import DEFAULT_MIN_SCORE, STORED_MIN_SCORE, _prepared, candidate_pairs, find_duplicates  # noqa: E402
from transforms.identity import normalize_title, title_paper_id  # noqa: E402

VOCABULARY_SIZE = 60_000
PHRASE_COUNT = 400
SYLLABLES = "ka ri to mo ne la shi vu de pa ro mi zu te ga lo fe ni bu sa ke po ra di mu ze ta".split()


def vocabulary(rng: np.random.Generator) -> np.ndarray:
    """Pronounceable made-up words of 1 to 4 syllables, so lengths and letters look like words."""
    counts = rng.integers(1, 5, VOCABULARY_SIZE)
    picks = rng.integers(0, len(SYLLABLES), counts.sum())
    words, start = [], 0
    for count in counts.tolist():
        words.append("".join(SYLLABLES[i] for i in picks[start : start + count]))
        start += count
    return rng.permutation(np.array(sorted(set(words))))  # Zipf ranks in no alphabetical order


def zipf_words(rng: np.random.Generator, vocab_size: int, size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, vocab_size + 1) ** 1.05
    return rng.choice(vocab_size, size=size, p=weights / weights.sum())


def texts(rng: np.random.Generator, vocab: np.ndarray, token_ids: np.ndarray, lengths: np.ndarray) -> pl.Series:
    """Join each run of `lengths` tokens into one space-separated string, vectorized."""
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    words = pa.array(vocab[token_ids].tolist(), type=pa.large_string())
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), words)
    return pl.Series(lists).list.join(" ")


def titles(rng: np.random.Generator, vocab: np.ndarray, count: int) -> pl.Series:
    lengths = rng.integers(5, 15, count)
    title = texts(rng, vocab, zipf_words(rng, vocab.size, lengths.sum()), lengths)
    return title.str.to_titlecase()


def abstracts(rng: np.random.Generator, vocab: np.ndarray, count: int) -> pl.Series:
    """Sentences of a stock opening phrase (4 common words) and 8-22 Zipf words; 120-220 words each."""
    phrases = zipf_words(rng, 300, PHRASE_COUNT * 4).reshape(PHRASE_COUNT, 4)
    sentence_counts = rng.integers(8, 12, count)
    sentence_lengths = 4 + rng.integers(8, 22, sentence_counts.sum())
    tokens = zipf_words(rng, vocab.size, sentence_lengths.sum())
    starts = np.concatenate([[0], np.cumsum(sentence_lengths)[:-1]])
    phrase_of = zipf_words(rng, PHRASE_COUNT, starts.size)
    for k in range(4):
        tokens[starts + k] = phrases[phrase_of, k]
    sentences = (texts(rng, vocab, tokens, sentence_lengths) + ".").to_arrow().cast(pa.large_string())
    offsets = np.concatenate([[0], np.cumsum(sentence_counts)]).astype(np.int64)
    return pl.Series(pa.LargeListArray.from_arrays(pa.array(offsets), sentences)).list.join(" ")


def synthetic_papers(count: int, planted: int, seed: int = 11) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`count` papers, the last ones planted copies; and the labelled pairs (paper_id, other_paper_id, duplicate)."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    base_count = count - 6 * planted
    ids = [f"{15 + i // 30000 // 12:02d}{1 + i // 30000 % 12:02d}.{i % 30000:05d}" for i in range(base_count)]
    start = date(2015, 1, 1)
    base = pl.DataFrame(
        {
            "paper_id": ids,
            "title": titles(rng, vocab, base_count),
            "abstract": abstracts(rng, vocab, base_count),
            "first_seen_date": [start + timedelta(days=i * 3650 // base_count) for i in range(base_count)],
        }
    )
    originals = base.sample(planted * 6, seed=seed, shuffle=True)
    copies, labels = [], []
    kinds = [("typo", True), ("subtitle", True), ("retitled", True), ("edited", True), ("word_changed", False), ("extended", False)]
    for k, (kind, duplicate) in enumerate(kinds):
        chosen = originals.slice(k * planted, planted)
        copy = _planted(kind, chosen, rng, vocab, k)
        copies.append(copy)
        labels.append(pl.DataFrame({"paper_id": chosen["paper_id"], "other_paper_id": copy["paper_id"], "kind": kind, "duplicate": duplicate}))
    papers = pl.concat([base, *copies]).with_columns(
        pl.col("title").map_elements(normalize_title, return_dtype=pl.String).alias("title_key"),
        pl.when(pl.col("paper_id").str.starts_with("title:")).then(None).otherwise(pl.col("paper_id")).alias("arxiv_id"),
    )
    return papers, pl.concat(labels)


def _planted(kind: str, chosen: pl.DataFrame, rng: np.random.Generator, vocab: np.ndarray, k: int) -> pl.DataFrame:
    n = chosen.height
    new_ids = [f"26{k + 1:02d}.{i:05d}" for i in range(n)]
    title, abstract = chosen["title"], chosen["abstract"]
    if kind == "typo":  # a title-only copy from a saved page, two letters swapped in one word
        title = pl.Series([_swap_letters(t, rng) for t in title.to_list()])
        new_ids = [title_paper_id(normalize_title(t)) for t in title.to_list()]
    elif kind == "subtitle":
        title = title + ": " + titles(rng, vocab, n)
    elif kind == "retitled":
        title = titles(rng, vocab, n)
    elif kind == "edited":  # a few words of the abstract replaced, title kept with a typo
        title = pl.Series([_swap_letters(t, rng) for t in title.to_list()])
        abstract = pl.Series([_replace_words(a, rng, vocab, 4) for a in abstract.to_list()])
    elif kind == "word_changed":  # "X for Y" and "X for Z": another work
        title = pl.Series([_replace_last_word(t, rng, vocab) for t in title.to_list()])
        abstract = abstracts(rng, vocab, n)
    elif kind == "extended":  # the extended version: subtitle added, half the abstract new
        title = title + " " + titles(rng, vocab, n)
        fresh = abstracts(rng, vocab, n).to_list()
        abstract = pl.Series([_half_and_half(a, b) for a, b in zip(abstract.to_list(), fresh)])
    return pl.DataFrame({"paper_id": new_ids, "title": title, "abstract": abstract, "first_seen_date": chosen["first_seen_date"] + timedelta(days=30)})


def _swap_letters(title: str, rng: np.random.Generator) -> str:
    words = title.split(" ")
    longest = max(range(len(words)), key=lambda i: (len(words[i]), -i))
    word = words[longest]
    if len(word) >= 4:
        j = int(rng.integers(1, len(word) - 2))
        words[longest] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _replace_words(text: str, rng: np.random.Generator, vocab: np.ndarray, count: int) -> str:
    words = text.split(" ")
    for position in rng.integers(0, len(words), count).tolist():
        words[position] = str(vocab[rng.integers(0, vocab.size)])
    return " ".join(words)


def _replace_last_word(title: str, rng: np.random.Generator, vocab: np.ndarray) -> str:
    words = title.split(" ")
    words[-1] = str(vocab[rng.integers(0, vocab.size)]).title()
    return " ".join(words)


def _half_and_half(old: str, new: str) -> str:
    old_words, new_words = old.split(" "), new.split(" ")
    return " ".join(old_words[: len(old_words) // 2] + new_words[len(new_words) // 2 :])


def catalog_papers(day_count: int = 3650, per_day: int = 200) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The papers the ten-year benchmark lake is made of (bench/synth.py), each once; no labelled pairs."""
    from bench.dataset import START_DATE
    from bench.synth import Catalog

    rows = {}
    for day in Catalog(per_day).days(START_DATE, day_count):
        for paper in day.new:
            rows[paper.arxiv_id] = (paper.arxiv_id, paper.title, paper.abstract, paper.first_date)
    papers = pl.DataFrame(list(rows.values()), schema=["paper_id", "title", "abstract", "first_seen_date"], orient="row")
    papers = papers.with_columns(pl.col("title").map_elements(normalize_title, return_dtype=pl.String).alias("title_key"), pl.col("paper_id").alias("arxiv_id"))
    labels = pl.DataFrame(schema={"paper_id": pl.String, "other_paper_id": pl.String, "kind": pl.String, "duplicate": pl.Boolean})
    return papers, labels


def precision_recall(found: pl.DataFrame, labels: pl.DataFrame, min_score: float) -> dict:
    listed = found.filter(pl.col("score") >= min_score)
    link = lambda a, b: pl.concat_str(pl.min_horizontal(a, b), pl.lit(" "), pl.max_horizontal(a, b))  # noqa: E731
    truth = labels.with_columns(link("paper_id", "other_paper_id").alias("link_id").cast(pl.String))
    true_links = set(truth.filter("duplicate")["link_id"].to_list())
    listed_links = set(listed["link_id"].to_list())
    hits = len(listed_links & true_links)
    per_kind = {
        kind: len(set(group["link_id"].to_list()) & listed_links)
        for (kind,), group in truth.group_by("kind", maintain_order=True)
    }
    return {
        "listed": len(listed_links), "true_listed": hits, "precision": hits / len(listed_links) if listed_links else 1.0,
        "recall": hits / len(true_links) if true_links else 1.0, "listed_by_kind": per_kind,
    }


def build_lake(root: Path, papers: pl.DataFrame) -> Lake:
    lake = Lake(str(root))
    table_setup.ensure_tables(lake)
    rows = papers.with_columns(
        pl.col("first_seen_date").alias("last_seen_date"), pl.lit(1).alias("days_seen"), pl.lit(1).alias("sighting_count"),
        pl.lit(["arxiv"]).alias("feeds"),
    )
    writes.append(lake, PAPERS, rows, writes.CommitInfo("bench"))
    return lake


def time_command(lake_uri: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `paperlake dupes` in a fresh process (CPU time is what a busy
    shared machine does not inflate)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "paperlake.cli", "dupes", "--lake", lake_uri, "-f", "csv"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _seconds(wall: float, cpu: float) -> str:
    return f"{wall:.1f} s ({cpu:.1f} s CPU)"


def ten_year_dupes(lake_path: Path, env: dict[str, str] | None = None):
    """Target 5 on a ten-year lake: `paperlake dupes` from process start, with its peak memory."""
    from bench.measure import run_process
    from bench.workloads import PAPERLAKE, Workload

    workload = Workload("dupes_10y")
    done = run_process([*PAPERLAKE, "dupes", "--lake", str(lake_path), "-f", "csv"], env=env).check("paperlake dupes")
    workload.add("command_seconds", "s", [done.wall_seconds], "`paperlake dupes` over every paper, from process start")
    workload.add("peak_rss_mb", "MB", [done.peak_rss_mb], "of the command")
    workload.details = {"paper_count": Lake(str(lake_path)).scan("papers").select(pl.len()).collect().item(),
                        # stdout lists the first 50 only: the pairs a run keeps are its suggestions in paper_links
                        "pair_count": Lake(str(lake_path)).scan("paper_links").filter(pl.col("status") == "suggested").select(pl.len()).collect().item()}
    return workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=300_000)
    parser.add_argument("--planted", type=int, default=1_000, help="pairs planted of each of the six kinds")
    parser.add_argument("--catalog", action="store_true", help="the ten-year benchmark's papers (bench/synth.py) instead of planted ones")
    parser.add_argument("--lake", help="time the command on this existing lake instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the lake built (its path is printed)")
    args = parser.parse_args()

    if args.lake:
        print(f"paperlake dupes on {args.lake}: {_seconds(*time_command(args.lake))} (first run), {_seconds(*time_command(args.lake))} (second run)")
        return
    started = time.perf_counter()
    papers, labels = catalog_papers() if args.catalog else synthetic_papers(args.papers, args.planted)
    print(f"built {papers.height:,} papers ({labels.height:,} planted pairs) in {time.perf_counter() - started:.1f} s")

    started, cpu = time.perf_counter(), time.process_time()
    candidates = candidate_pairs(_prepared(papers))
    blocking = (time.perf_counter() - started, time.process_time() - cpu)
    started, cpu = time.perf_counter(), time.process_time()
    found = find_duplicates(papers, STORED_MIN_SCORE)
    finding = (time.perf_counter() - started, time.process_time() - cpu)
    quality = precision_recall(found, labels, DEFAULT_MIN_SCORE)

    root = Path(tempfile.mkdtemp(prefix="bench-dupes-"))
    try:
        lake = build_lake(root / "lake", papers)
        first, second = time_command(lake.uri), time_command(lake.uri)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| papers | {papers.height:,} |")
    print(f"| candidate pairs after blocking | {candidates.height:,} (blocking alone {_seconds(*blocking)}) |")
    print(f"| pairs scoring >= {STORED_MIN_SCORE:g} (kept as suggestions) | {found.height:,} |")
    print(f"| pair finding, in-process (block + score) | {_seconds(*finding)} |")
    print(f"| `paperlake dupes`, fresh process, first run (stores suggestions) | {_seconds(*first)} |")
    print(f"| `paperlake dupes`, second run (nothing to store) | {_seconds(*second)} |")
    if not labels.is_empty():
        print(f"| planted pairs listed at >= {DEFAULT_MIN_SCORE:g}, by kind | {quality['listed_by_kind']} |")
    if labels.is_empty():
        print(f"| pairs listed at >= {DEFAULT_MIN_SCORE:g} (none planted) | {quality['listed']} |")
    else:
        print(f"| precision / recall at >= {DEFAULT_MIN_SCORE:g} | {quality['precision']:.3f} / {quality['recall']:.3f} ({quality['true_listed']} of {quality['listed']} listed are planted duplicates) |")
    if args.keep:
        print(f"lake kept at {root / 'lake'}")


if __name__ == "__main__":
    main()
