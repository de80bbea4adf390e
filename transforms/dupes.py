"""Near-duplicates: pairs of distinct papers that look like the same work, scored and explained.

Candidate pairs come from blocking (transforms/dupes_blocking.py: sorted titles and shared
abstract clauses), and only they are scored (transforms/dupes_scoring.py). This module is what
callers use: the whole finder over papers in memory, and the names the lake-side reader needs to do
the same a slice of papers at a time (paperlake/dupes.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.dupes_blocking import (  # noqa: F401  (re-exported: the finder's tunables and steps)
    INDEX_PAIRS_SCHEMA, MAX_BLOCK_SIZE, TITLE_WINDOW, abstract_candidates, clause_keys, combined, title_candidates,
)
from transforms.dupes_scoring import PAIR_SCHEMA, PAPER_COLUMNS, prepared, score_pair, score_pairs  # noqa: F401
from transforms.identity import TITLE_ID_PREFIX

# What `paperlake dupes` lists by default, and the floor of what paper_links keeps as suggestions.
DEFAULT_MIN_SCORE = 85.0
STORED_MIN_SCORE = 60.0

_prepared = prepared  # the name bench/bench_dupes.py knows


def find_duplicates(papers: pl.DataFrame, min_score: float = STORED_MIN_SCORE) -> pl.DataFrame:
    """Pairs of distinct papers scoring at least `min_score`, best first (PAIR_SCHEMA), at most MAX_KEPT_PAIRS.

    `papers` holds one row per paper with paper_id, title, title_key and abstract; first_seen_date,
    if present, decides which of two title-only or two arXiv papers is the one to keep (the older).
    """
    rows = prepared(papers)
    return scored_best_first(rows, candidate_pairs(rows), min_score).pairs


def candidate_pairs(papers: pl.DataFrame) -> pl.DataFrame:
    """Row-index pairs (a < b) worth scoring, from sorted titles and shared abstract clauses."""
    titles = papers.select("paper_id", pl.col("title_key").fill_null(""))
    return combined(title_candidates(titles), abstract_candidates(papers.select(clause_keys(pl.col("abstract"))).to_series()))


# Pairs scored at a time: scoring copies both sides' abstracts, about 2 KB a pair, so ten years of
# arXiv-volume papers (23.5 M candidate pairs) scored at once held 21 GB; a slice holds about 1 GB.
SCORED_PAIRS_PER_SLICE = 500_000
# The most pairs one run keeps. Papers that share one text (a template, a mirrored collection) can
# make tens of millions of look-alike pairs: more than anyone reviews, and kept whole they passed
# 15 GB. The best are kept, and the caller is told how many more there were.
MAX_KEPT_PAIRS = 100_000


@dataclass(frozen=True)
class Scored:
    pairs: pl.DataFrame  # the best `max_pairs` scoring at least min_score, best first (PAIR_SCHEMA)
    pair_count: int  # how many pairs scored at least min_score, kept or not


def scored_best_first(papers: pl.DataFrame, pairs: pl.DataFrame, min_score: float, max_pairs: int | None = None) -> Scored:
    """score_pairs over `pairs` a slice at a time, keeping the best `max_pairs` (MAX_KEPT_PAIRS) scoring at least `min_score`."""
    max_pairs = MAX_KEPT_PAIRS if max_pairs is None else max_pairs
    kept, pair_count = score_pairs(papers, pairs.clear()), 0
    for part in pairs.iter_slices(SCORED_PAIRS_PER_SLICE):
        scored = score_pairs(papers, part).filter(pl.col("score") >= min_score)
        pair_count += scored.height
        kept = best_first(pl.concat([kept, scored]), min_score).head(max_pairs)
    return Scored(kept, pair_count)


def best_first(scored: pl.DataFrame, min_score: float) -> pl.DataFrame:
    return scored.filter(pl.col("score") >= min_score).sort(["score", "link_id"], descending=[True, False])


def link_id(paper_id: str, other_paper_id: str) -> str:
    """One id per unordered pair: a decision replaces a suggestion whichever way round it is given."""
    return " ".join(sorted((paper_id, other_paper_id)))


# --- title-only papers that match several arXiv papers ------------------------------------


def ambiguous_title_papers(papers: pl.DataFrame) -> pl.DataFrame:
    """Title-only papers whose normalized title is that of several arXiv papers: linked to none of
    them (transforms/linking.py), so a person should look. title_key, paper_id, title, arxiv_ids."""
    from transforms.linking import arxiv_title_index

    index = arxiv_title_index(papers.filter(pl.col("arxiv_id").is_not_null()))
    title_only = papers.filter(pl.col("paper_id").str.starts_with(TITLE_ID_PREFIX))
    return (
        title_only.join(index.filter(pl.col("arxiv_id_count") > 1), on="title_key")
        .select("paper_id", "title", "title_key", "arxiv_ids")
        .sort("title_key", "paper_id")
    )
