"""`papers --search` through the word index (`search_words`): the same answer as the scan of every
title and abstract (lake/queries.py `search`), from a few words' rows and the best papers' rows.

    the terms' index rows (row groups of those words only) -> per paper: which terms are in the
    title, which in the abstract -> papers holding every term, with their score or its bounds
    -> their recency (last seen, first seen, days seen) from `papers`: all of it for a few thousand
       papers; else the recently seen papers first (file statistics skip the rest), widening the
       window until nothing older can rank in
    -> the best ones' text read to settle the phrase bonuses the index cannot tell -> top `limit`

For one word the index gives the exact score (the phrase is the word). For several, each term's
presence per field is exact and only the phrase bonuses (10 in the title, 2 in the abstract) are
open: a paper is read when its upper bound could still put it in the top `limit`.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from lake.queries import NEWEST_FIRST, _one_of, match_and_score
from lake.search_words import rows_of_terms
from transforms.search_words import ABSTRACT_FIELD, TITLE_FIELD, current_rows

SUMMARY = [
    "paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "sighting_count",
    "upvotes", "comment_count", "feeds", "abstract", "title_key",
]
RECENCY = ["last_seen_date", "first_seen_date", "days_seen"]
DIRECT_PAPER_COUNT = 20_000  # up to this many matches, read their recency by id; above, recent papers first
FIRST_WINDOW_DAYS = 30
VERIFY_BATCH = 2_000


def indexed_search(words: pl.LazyFrame, papers: pl.LazyFrame, terms: list[str], limit: int | None) -> pl.DataFrame:
    matches = term_hits(current_rows(rows_of_terms(words, terms)), terms)
    if matches.is_empty():
        return papers.select(SUMMARY).head(0).collect().with_columns(pl.lit(None, pl.Int32).alias("score"))
    if limit is None or matches.height <= DIRECT_PAPER_COUNT:
        known = _recency(papers, _one_of(matches["paper_id"])).join(matches, on="paper_id")
        return _settled(papers, known, terms, limit, None)
    last_date = papers.select(pl.col("last_seen_date").max()).collect().item()
    first_date = papers.select(pl.col("last_seen_date").min()).collect().item()
    days = FIRST_WINDOW_DAYS
    while True:
        since = last_date - timedelta(days=days - 1)
        known = _recency(papers, pl.col("last_seen_date") >= since).join(matches, on="paper_id")
        everything = since <= first_date
        unread_best = None if everything else matches.join(known.select("paper_id"), on="paper_id", how="anti")["high"].max()
        found = _settled(papers, known, terms, limit, unread_best)
        if found is not None:
            return found
        days *= 4


def term_hits(rows: pl.DataFrame, terms: list[str]) -> pl.DataFrame:
    """paper_id, low, high: papers whose current words hold every term (each as a word's start), with
    their score's bounds (equal for one term)."""
    def present(i: int, field: int) -> pl.Expr:
        return (pl.col("term").str.starts_with(terms[i]) & ((pl.col("fields") & field) != 0)).any().alias(f"{'ta'[field - 1]}{i}")

    n = len(terms)
    per_paper = rows.group_by("paper_id").agg(
        *(present(i, TITLE_FIELD) for i in range(n)), *(present(i, ABSTRACT_FIELD) for i in range(n))
    ).filter(pl.all_horizontal(pl.col(f"t{i}") | pl.col(f"a{i}") for i in range(n)))
    in_title = pl.sum_horizontal(pl.col(f"t{i}").cast(pl.Int32) for i in range(n))
    in_abstract = pl.sum_horizontal(pl.col(f"a{i}").cast(pl.Int32) for i in range(n))
    if n == 1:  # the phrase is the term: the score is exact
        low = high = 13 * in_title + 3 * in_abstract
    else:
        low = 3 * in_title + in_abstract
        high = low + 10 * (in_title == n).cast(pl.Int32) + 2 * (in_abstract == n).cast(pl.Int32)
    return per_paper.select("paper_id", low.cast(pl.Int32).alias("low"), high.cast(pl.Int32).alias("high"))


def _recency(papers: pl.LazyFrame, wanted: pl.Expr) -> pl.DataFrame:
    return papers.filter(wanted).select("paper_id", *RECENCY).collect()


def _settled(papers: pl.LazyFrame, known: pl.DataFrame, terms: list[str], limit: int | None, unread_best: int | None) -> pl.DataFrame | None:
    """The top `limit` of `known` by exact score, then newest; None when a paper not read yet (each
    scoring at most `unread_best`, each seen before every known one) could still rank among them."""
    by, descending = NEWEST_FIRST
    order = dict(by=["key", *by], descending=[True, *descending], nulls_last=True)
    known = known.with_columns(pl.when(pl.col("low") == pl.col("high")).then(pl.col("low")).alias("score"))
    texts: list[pl.DataFrame] = []
    every_term, score = match_and_score(terms)
    while True:
        ranked = known.with_columns(pl.coalesce("score", "high").alias("key")).sort(**order)
        top = ranked if limit is None else ranked.head(limit)
        open_rows = ranked.filter(pl.col("score").is_null()).head(max(VERIFY_BATCH, limit or 0))
        if top["score"].null_count():
            read = papers.filter(_one_of(open_rows["paper_id"])).select(SUMMARY).collect()
            read = read.with_columns(pl.when(every_term).then(score).otherwise(-1).cast(pl.Int32).alias("exact"))  # -1: not a match after all
            texts.append(read.drop("exact"))
            known = known.join(read.select("paper_id", "exact"), on="paper_id", how="left").with_columns(
                pl.coalesce("score", "exact").alias("score")
            ).drop("exact").filter(pl.col("score").is_null() | (pl.col("score") >= 0))
            continue
        if unread_best is not None and (limit is None or top.height < limit or top["score"].min() < unread_best):
            return None
        break
    wanted = top.select("paper_id", "score")
    have = pl.concat(texts).unique("paper_id") if texts else papers.select(SUMMARY).head(0).collect()
    missing = wanted.join(have.select("paper_id"), on="paper_id", how="anti")["paper_id"]
    if missing.len():
        have = pl.concat([have, papers.filter(_one_of(missing)).select(SUMMARY).collect()])
    found = wanted.join(have, on="paper_id").select(*SUMMARY, "score").sort(
        ["score", *by], descending=[True, *descending], nulls_last=True
    )
    return found
