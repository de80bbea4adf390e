"""Confirmed duplicates (paper_links rows a person confirmed) applied to sightings.

A confirmed pair moves the duplicate's sightings to the paper kept. The pipeline applies the
decisions to every batch it normalizes, so a reparse, which rebuilds sightings from the raw
snapshots, keeps them; `paperlake dupes --merge` applies them to the sightings already stored.
"""

from __future__ import annotations

import polars as pl

from lake.schemas import SIGHTINGS
from transforms.identity import TITLE_ID_PREFIX

MERGE_TARGETS_SCHEMA = {"other_paper_id": pl.String, "paper_id": pl.String}


def merge_targets(confirmed: pl.DataFrame) -> pl.DataFrame:
    """other_paper_id -> the paper it ends up in, following chains (B into A, A into K: B into K).

    A cycle (which `dupes --merge` refuses to record) leaves its members where the first step sends them.
    """
    step = dict(confirmed.select("other_paper_id", "paper_id").iter_rows())
    resolved = {}
    for source, target in sorted(step.items()):
        seen = {source}
        while target in step and target not in seen:
            seen.add(target)
            target = step[target]
        resolved[source] = target if target != source else step[source]
    return pl.DataFrame({"other_paper_id": list(resolved), "paper_id": list(resolved.values())}, schema=MERGE_TARGETS_SCHEMA)


def apply_merges(sightings: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Sightings of merged papers take the kept paper's id (and its arXiv id); `merged_from_id` keeps
    the id the feed listed. Where both papers were in one snapshot, the best-ranked row stays."""
    if targets.is_empty() or sightings.is_empty():
        return sightings
    mapped = sightings.join(targets.rename({"paper_id": "_target", "other_paper_id": "paper_id"}), on="paper_id", how="left")
    moved = pl.col("_target").is_not_null()
    target_is_arxiv = ~pl.col("_target").str.starts_with(TITLE_ID_PREFIX)
    rekeyed = mapped.with_columns(
        pl.when(moved).then(pl.coalesce("merged_from_id", "paper_id")).otherwise(pl.col("merged_from_id")).alias("merged_from_id"),
        pl.when(moved & target_is_arxiv).then(pl.col("_target")).otherwise(pl.col("arxiv_id")).alias("arxiv_id"),
        pl.when(moved).then(pl.col("_target")).otherwise(pl.col("paper_id")).alias("paper_id"),
    ).drop("_target")
    # Unmoved rows first on a tie: the kept paper's own listing wins over its duplicate's.
    ordered = rekeyed.sort("rank", pl.col("merged_from_id").is_not_null(), "merged_from_id", "snapshot_id", "feed", "paper_id")
    deduped = ordered.unique(subset=list(SIGHTINGS.key), keep="first", maintain_order=True)
    return deduped.select(sightings.columns)


def restore_listed_ids(sightings: pl.DataFrame) -> pl.DataFrame:
    """Undo every merge on these rows: back to the paper the feed listed (before apply_merges).

    A paper id is its arXiv id or a title id with no arXiv id, so the listed id gives both back.
    """
    listed = pl.col("merged_from_id")
    merged = listed.is_not_null()
    return sightings.with_columns(
        pl.when(merged).then(listed).otherwise(pl.col("paper_id")).alias("paper_id"),
        pl.when(merged & listed.str.starts_with(TITLE_ID_PREFIX)).then(None)
        .when(merged).then(listed)
        .otherwise(pl.col("arxiv_id")).alias("arxiv_id"),
        pl.lit(None, dtype=pl.String).alias("merged_from_id"),
    )


def remap(sightings: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """The rows as the current decisions place them, whatever decisions placed them before."""
    return apply_merges(restore_listed_ids(sightings), targets)
