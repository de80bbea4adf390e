"""`paperlake dupes`: near-duplicate papers found, kept in paper_links, confirmed or dismissed.

Reads and writes the lake through lake/ only: no Prefect, no Great Expectations, so it starts fast.
Nothing is ever merged without a person: `--merge A B` is the only way B's sightings move to A.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import polars as pl

from lake import papers as lake_papers
from lake import links, sighting_writes, writes
from lake.schemas import PAPERS
from lake.store import Lake
from transforms.dupes import (
    STORED_MIN_SCORE, Scored, abstract_candidates, ambiguous_title_papers, clause_keys, combined, link_id, prepared, score_pair,
    scored_best_first, title_candidates,
)
from transforms.identity import TITLE_ID_PREFIX
from transforms.merges import merge_targets, remap
from transforms.papers import summarize_papers

PAPER_COLUMNS = ["paper_id", "arxiv_id", "title", "title_key", "abstract", "first_seen_date"]
LISTED_COLUMNS = ["score", "status", "paper_id", "other_paper_id", "reason", "title", "other_title"]
TEXT_COLUMNS = ("title", "title_key", "abstract")  # what scoring reads of the candidates besides their ids
PAIR_COLUMNS = ["link_id", "paper_id", "other_paper_id", "score", "reason", "title_score", "abstract_score", "title", "other_title"]


class DupesError(ValueError):
    """A decision that cannot be made as asked; the message says why and what to do."""


def _papers(lake: Lake, paper_ids: list[str] | None = None) -> pl.DataFrame:
    scan = lake.scan(PAPERS.name)
    if paper_ids is not None:
        scan = scan.filter(pl.col("paper_id").is_in(paper_ids))
    return scan.select(PAPER_COLUMNS).collect()


def _find_duplicates(lake: Lake, min_score: float) -> tuple[Scored, int]:
    """find_duplicates over the lake's papers without holding every abstract; with how many papers it compared.

    Titles first (a few bytes a paper), whose blocking says which papers' texts scoring will need;
    then one streaming read cuts each abstract to its clause keys as the files are read (a slice at
    a time, on every core), keeping the texts of those papers only. Papers that only the abstract
    blocking brings in are read again, by id.
    """
    scan = lake.scan(PAPERS.name)
    titles = scan.select("paper_id", pl.col("title_key").fill_null(""), "first_seen_date").collect(engine="streaming")
    by_title = title_candidates(titles)
    titles = titles.drop("title_key")  # read again with the texts, for the candidates only
    kept_rows = _rows_of(by_title)
    kept = pl.col("paper_id").is_in(titles["paper_id"].gather(kept_rows).implode())
    abstracts = scan.select(
        "paper_id", clause_keys(pl.col("abstract")).alias("clause_keys"), *(_copied_where(kept, c) for c in TEXT_COLUMNS)
    ).collect(engine="streaming")
    if not abstracts["paper_id"].equals(titles["paper_id"]):  # both reads list the same files in the same order
        abstracts = titles.select("paper_id").join(abstracts, on="paper_id", how="left", maintain_order="left")
    pairs = combined(by_title, abstract_candidates(abstracts.get_column("clause_keys")))
    rows = _rows_of(pairs)
    texts = abstracts.select("paper_id", *TEXT_COLUMNS)[rows]
    del abstracts
    unread = ~np.isin(rows, kept_rows)
    if unread.any():
        ids = texts["paper_id"].filter(unread).implode()
        reread = scan.filter(pl.col("paper_id").is_in(ids)).select("paper_id", *TEXT_COLUMNS).collect(engine="streaming")
        texts = texts.filter(~unread).vstack(reread)
    papers = prepared(titles[rows].join(texts, on="paper_id", how="left", maintain_order="left"))
    local = pl.DataFrame({side: np.searchsorted(rows, pairs[side].to_numpy()).astype(np.uint32) for side in ("a", "b")})
    return scored_best_first(papers, local, min_score), titles.height


def _copied_where(kept: pl.Expr, column: str) -> pl.Expr:
    """The column where `kept`, else null, copied: a bare when/then keeps views into the text read,
    so a few kept abstracts would hold every file's abstracts in memory (6.4 GB on a ten-year lake)."""
    return pl.concat_str([pl.when(kept).then(pl.col(column)), pl.lit("")]).alias(column)


def _rows_of(pairs: pl.DataFrame) -> np.ndarray:
    """The rows in any of these pairs, ascending."""
    return np.unique(np.concatenate([pairs["a"].to_numpy(), pairs["b"].to_numpy()]))


@dataclass(frozen=True)
class Found:
    pairs: pl.DataFrame  # LISTED_COLUMNS, best first
    kept_count: int  # pairs scored high enough and kept (at most MAX_KEPT_PAIRS)
    unkept_count: int  # pairs that scored high enough but were past the kept ones, so neither kept nor listed
    paper_count: int  # papers compared
    decided_count: int = 0  # pairs scoring high enough but not listed: confirmed or dismissed already

    def empty_note(self, min_score: float) -> str:
        if self.decided_count:
            return f"the {self.decided_count:,} pair(s) scoring {min_score:g} or more are all confirmed or dismissed already; `--all` lists them"
        weaker = f"; `--min-score {STORED_MIN_SCORE:g}` lists weaker look-alikes" if min_score > STORED_MIN_SCORE else ""
        return f"no pair among the lake's {self.paper_count:,} papers scores {min_score:g} or more{weaker}"

    def unkept_note(self) -> str:
        return (
            f"warning: {self.unkept_count:,} more pairs scored high enough to suggest, past the best {self.kept_count:,} kept in paper_links. "
            "That many look-alike pairs usually means many papers share one text (a template, a mirrored collection): "
            "look at a few with `paperlake show ID` before merging any."
        )


def find_and_store(lake: Lake, min_score: float, now: datetime, show_decided: bool = False) -> Found:
    """Score the lake's papers, keep the suggestions (score >= STORED_MIN_SCORE) in paper_links, and
    return the pairs scoring at least `min_score`: suggestions only, or every decision too."""
    scored, paper_count = _find_duplicates(lake, min(min_score, STORED_MIN_SCORE))
    found = scored.pairs
    if lake.has_table(PAPERS.name):
        links.store_suggestions(lake, found.filter(pl.col("score") >= STORED_MIN_SCORE), now, writes.CommitInfo("dupes"))
    stored = links.read_links(lake)
    statuses = stored.select("link_id", "status")
    listed = found.join(statuses, on="link_id", how="left").with_columns(pl.col("status").fill_null(links.SUGGESTED))
    if show_decided:  # decided pairs no longer found (a merged paper has no row of its own) are listed too
        decided = stored.filter((pl.col("status") != links.SUGGESTED) & ~pl.col("link_id").is_in(found["link_id"].to_list()))
        listed = pl.concat([listed, decided.select(listed.columns)], how="vertical_relaxed")
    listed = listed.filter(pl.col("score") >= min_score)
    decided_count = 0 if show_decided else listed.filter(pl.col("status") != links.SUGGESTED).height
    if not show_decided:
        listed = listed.filter(pl.col("status") == links.SUGGESTED)
    listed = listed.sort(["score", "link_id"], descending=[True, False]).select(LISTED_COLUMNS)
    return Found(listed, found.height, scored.pair_count - found.height, paper_count, decided_count)


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
    papers = summarize_papers(sighting_writes.sightings_of(lake, affected))
    gone = sorted(set(affected) - set(papers["paper_id"].to_list()))
    current = lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(affected)).collect()
    if not _same_papers(current, papers):
        lake_papers.upsert_papers(lake, papers, commit, removed_ids=gone)
        # The gold tables follow, as after a load (unvalidated, like the papers rows written here).
        from flows.gold_update import update_gold_tables

        sightings = sighting_writes.sightings_of(lake, affected)
        update_gold_tables(lake, pl.concat([sightings, before], how="diagonal_relaxed"), papers, gone, commit, datetime.now(timezone.utc), validate=False)
        from flows.search_update import update_search_words

        update_search_words(lake, papers, [], gone, commit)


def _same_papers(current: pl.DataFrame, papers: pl.DataFrame) -> bool:
    return current.height == papers.height and PAPERS.conform(current).sort("paper_id").equals(papers.sort("paper_id"))
