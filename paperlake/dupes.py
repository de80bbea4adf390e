"""`paperlake dupes`: near-duplicate papers found, kept in paper_links, confirmed or dismissed.

Reads and writes the lake through lake/ only: no Prefect, no Great Expectations, so it starts fast.
Nothing is ever merged without a person: `--merge A B` is the only way B's sightings move to A.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import polars as pl

from lake import links, writes
from lake.schemas import PAPERS
from lake.store import Lake
from transforms.dupes import (
    STORED_MIN_SCORE, _prepared, ambiguous_title_papers, candidate_pairs_by_keys, clause_keys, link_id, score_pair, score_pairs,
)
from transforms.identity import TITLE_ID_PREFIX
from transforms.merges import merge_targets, remap
from transforms.papers import summarize_papers

PAPER_COLUMNS = ["paper_id", "arxiv_id", "title", "title_key", "abstract", "first_seen_date"]
LISTED_COLUMNS = ["score", "status", "paper_id", "other_paper_id", "reason", "title", "other_title"]
PAIR_COLUMNS = ["link_id", "paper_id", "other_paper_id", "score", "reason", "title_score", "abstract_score", "title", "other_title"]


class DupesError(ValueError):
    """A decision that cannot be made as asked; the message says why and what to do."""


def _papers(lake: Lake, paper_ids: list[str] | None = None) -> pl.DataFrame:
    scan = lake.scan(PAPERS.name)
    if paper_ids is not None:
        scan = scan.filter(pl.col("paper_id").is_in(paper_ids))
    return scan.select(PAPER_COLUMNS).collect()


ABSTRACT_BATCH_PAPERS = 100_000  # abstracts read at a time: a ten-year lake's are 5 GB


def _find_duplicates(lake: Lake, min_score: float) -> pl.DataFrame:
    """find_duplicates over the lake's papers without holding every abstract: titles in full, the
    abstracts a range of first-seen days at a time, cut to clause keys, then read again only for
    the candidate pairs."""
    # What the blocking needs of every paper; titles and abstracts are read for the candidates only.
    titles = lake.scan(PAPERS.name).select("paper_id", "title_key", "first_seen_date").collect()
    rows = titles.select("paper_id").with_row_index("row")
    docs, keys = [], []
    for since_date, until_date in _first_seen_ranges(lake):
        batch = lake.scan(PAPERS.name).filter(pl.col("first_seen_date").is_between(since_date, until_date)).select("paper_id", "abstract").collect()
        doc, key = clause_keys(batch["abstract"])
        docs.append(batch.join(rows, on="paper_id", how="left", maintain_order="left")["row"].to_numpy().astype(np.int64)[doc])
        keys.append(key)
    empty = titles.with_columns(pl.lit(None, pl.String).alias("title"), pl.lit(None, pl.String).alias("abstract"))
    pairs = candidate_pairs_by_keys(
        _prepared(empty), np.concatenate(docs) if docs else np.zeros(0, np.int64), np.concatenate(keys) if keys else np.zeros(0, np.uint64)
    )
    wanted = titles["paper_id"].gather(pl.concat([pairs["a"], pairs["b"]]).unique()).to_list()
    texts = lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(wanted)).select("paper_id", "title", "abstract").collect()
    prepared = _prepared(titles.join(texts, on="paper_id", how="left", maintain_order="left"))
    scored = score_pairs(prepared, pairs)
    return scored.filter(pl.col("score") >= min_score).sort(["score", "link_id"], descending=[True, False])


def _first_seen_ranges(lake: Lake) -> list[tuple]:
    """Ranges of first-seen days holding about ABSTRACT_BATCH_PAPERS papers each (papers are stored
    in first-seen order, so file statistics keep each read to its own files)."""
    days = lake.scan(PAPERS.name).group_by("first_seen_date").len().collect().sort("first_seen_date")
    ranges, start, count = [], None, 0
    for day, day_count in days.iter_rows():
        start = day if start is None else start
        count += day_count
        if count >= ABSTRACT_BATCH_PAPERS:
            ranges.append((start, day))
            start, count = None, 0
    if start is not None:
        ranges.append((start, days["first_seen_date"][-1]))
    return ranges


def find_and_store(lake: Lake, min_score: float, now: datetime, show_decided: bool = False) -> pl.DataFrame:
    """Score the lake's papers, keep the suggestions (score >= STORED_MIN_SCORE) in paper_links, and
    return the pairs scoring at least `min_score`: suggestions only, or every decision too."""
    found = _find_duplicates(lake, min(min_score, STORED_MIN_SCORE))
    if lake.has_table(PAPERS.name):
        links.store_suggestions(lake, found.filter(pl.col("score") >= STORED_MIN_SCORE), now, writes.CommitInfo("dupes"))
    stored = links.read_links(lake)
    statuses = stored.select("link_id", "status")
    listed = found.join(statuses, on="link_id", how="left").with_columns(pl.col("status").fill_null(links.SUGGESTED))
    if show_decided:  # decided pairs no longer found (a merged paper has no row of its own) are listed too
        decided = stored.filter((pl.col("status") != links.SUGGESTED) & ~pl.col("link_id").is_in(found["link_id"].to_list()))
        listed = pl.concat([listed, decided.select(listed.columns)], how="vertical_relaxed")
    else:
        listed = listed.filter(pl.col("status") == links.SUGGESTED)
    return listed.filter(pl.col("score") >= min_score).sort(["score", "link_id"], descending=[True, False]).select(LISTED_COLUMNS)


def ambiguous(lake: Lake) -> pl.DataFrame:
    """Title-only papers left unlinked because their title is that of several arXiv papers."""
    return ambiguous_title_papers(_papers(lake))


def merge(lake: Lake, keep_id: str, drop_id: str, now: datetime) -> pl.DataFrame:
    """Confirm that drop_id is keep_id: record it, then move drop_id's sightings and recompute papers.

    Returns the decision's row. Running it again changes nothing.
    """
    if keep_id == drop_id:
        raise DupesError("give two different papers")
    targets = dict(merge_targets(links.confirmed_pairs(lake)).iter_rows())
    kept = targets.get(keep_id, keep_id)  # keep_id itself may have been merged into another paper
    already = targets.get(drop_id) == kept
    if drop_id in targets and not already:
        raise DupesError(f"{drop_id} is already merged into {targets[drop_id]}; merge into that paper instead")
    if kept == drop_id:
        raise DupesError(f"{keep_id} is merged into {drop_id} already: that would merge {drop_id} into itself")
    commit = writes.CommitInfo("dupes-merge")
    if already:  # a rerun: the decision stands; finish applying it if an earlier run was cut short
        apply_decisions(lake, [kept, drop_id], commit)
        return links.read_links(lake).filter(pl.col("link_id") == link_id(kept, drop_id)).select(PAIR_COLUMNS)
    papers = _papers(lake, [kept, drop_id])
    _require(papers, [kept, drop_id])
    if kept.startswith(TITLE_ID_PREFIX) and not drop_id.startswith(TITLE_ID_PREFIX):
        raise DupesError(f"keep the arXiv paper, so its id stays the paper's id: paperlake dupes --merge {drop_id} {kept}")
    decision = score_pair(papers, kept, drop_id)
    links.record_decision(lake, decision, links.CONFIRMED, now, commit)
    apply_decisions(lake, [kept, drop_id], commit)
    return decision


def dismiss(lake: Lake, paper_id: str, other_paper_id: str, now: datetime) -> pl.DataFrame:
    """Record that two papers are not the same work. A merged pair is taken apart again."""
    if paper_id == other_paper_id:
        raise DupesError("give two different papers")
    existing = links.read_links(lake).filter(pl.col("link_id") == link_id(paper_id, other_paper_id))
    if existing.height and existing["status"][0] == links.DISMISSED:
        return existing.select(*PAIR_COLUMNS)  # decided already: nothing to write
    was_merged = existing.height > 0 and existing["status"][0] == links.CONFIRMED
    if existing.height:
        decision = existing.select(*PAIR_COLUMNS)
    else:
        papers = _papers(lake, [paper_id, other_paper_id])
        _require(papers, [paper_id, other_paper_id])
        decision = score_pair(papers, paper_id, other_paper_id)
    commit = writes.CommitInfo("dupes-dismiss")
    links.record_decision(lake, decision, links.DISMISSED, now, commit)
    if was_merged:
        targets = dict(merge_targets(links.confirmed_pairs(lake)).iter_rows())
        kept, other = decision["paper_id"][0], decision["other_paper_id"][0]
        apply_decisions(lake, sorted({targets.get(kept, kept), kept, other}), commit)
    return decision


def _require(papers: pl.DataFrame, paper_ids: list[str]) -> None:
    missing = [p for p in paper_ids if p not in papers["paper_id"].to_list()]
    if missing:
        raise DupesError(f"no paper {', '.join(missing)} in the lake; find ids with: paperlake papers --search WORDS")


def apply_decisions(lake: Lake, paper_ids: list[str], commit: writes.CommitInfo) -> None:
    """Place the sightings of these papers as the confirmed pairs say, then recompute their papers rows."""
    targets = merge_targets(links.confirmed_pairs(lake))
    before, after = links.move_sightings(lake, paper_ids, lambda rows: remap(rows, targets), commit)
    affected = sorted(set(before["paper_id"].to_list()) | set(after["paper_id"].to_list()) | set(paper_ids))
    papers = summarize_papers(writes.sightings_of(lake, affected))
    gone = sorted(set(affected) - set(papers["paper_id"].to_list()))
    current = lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(affected)).collect()
    if not _same_papers(current, papers):
        writes.upsert_papers(lake, papers, commit, removed_ids=gone)
        # The gold tables follow, as after a load (unvalidated, like the papers rows written here).
        from flows.gold_update import update_gold_tables

        sightings = writes.sightings_of(lake, affected)
        update_gold_tables(lake, pl.concat([sightings, before], how="diagonal_relaxed"), papers, gone, commit, datetime.now(timezone.utc), validate=False)
        from flows.search_update import update_search_words

        update_search_words(lake, papers, [], gone, commit)


def _same_papers(current: pl.DataFrame, papers: pl.DataFrame) -> bool:
    return current.height == papers.height and PAPERS.conform(current).sort("paper_id").equals(papers.sort("paper_id"))
