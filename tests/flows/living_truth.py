"""Compare a lake with a living world's truth: what is missing, extra or stale, as readable lines.

    assert lake_differences(lake, living.world.truth(end_at), hf_dates, arxiv_dates) == []

It reads only what every version of the lake has: `sightings` (with their snapshot's `fetched_at`
for "the latest observation") and `papers` (`latest_version`, `feeds`), so it keeps working while
the load path changes.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

import polars as pl

from paperlake.living import WorldTruth

LIMIT = 10  # differences listed per kind; a count says how many more


def lake_differences(lake, truth: WorldTruth, hf_dates: Iterable[date], arxiv_dates: Iterable[date]) -> list[str]:
    """Every way the lake differs from `truth` for the HF lists of `hf_dates` and the arXiv papers first
    submitted on `arxiv_dates`; [] when it holds exactly the truth."""
    hf_dates, arxiv_dates = sorted(set(hf_dates)), set(arxiv_dates)
    sightings = lake.read("sightings").join(lake.read("snapshots").select("snapshot_id", "fetched_at"), on="snapshot_id")
    return (
        hf_list_differences(sightings, truth, hf_dates)
        + hf_count_differences(sightings, truth, hf_dates)
        + arxiv_differences(lake.read("papers"), truth, arxiv_dates)
        + duplicate_papers(lake.read("papers"))
    )


def hf_list_differences(sightings: pl.DataFrame, truth: WorldTruth, hf_dates: list[date]) -> list[str]:
    hf = sightings.filter(pl.col("feed") == "hf_daily")
    lines = []
    for day in hf_dates:
        held = set(hf.filter(pl.col("snapshot_date") == day)["arxiv_id"].to_list())
        listed = set(truth.hf_lists.get(day, ()))
        lines += limited(f"hf_daily {day}: missing", sorted(listed - held)) + limited(f"hf_daily {day}: extra", sorted(held - listed))
    return lines


def hf_count_differences(sightings: pl.DataFrame, truth: WorldTruth, hf_dates: list[date]) -> list[str]:
    """Each HF paper's counts in its latest observation against the world's counts at truth time."""
    latest = (
        sightings.filter((pl.col("feed") == "hf_daily") & pl.col("snapshot_date").is_in(hf_dates))
        .sort("fetched_at")
        .group_by("arxiv_id")
        .agg(pl.col("upvotes").last(), pl.col("comment_count").last())
    )
    stale = []
    for arxiv_id, upvotes, comment_count in latest.sort("arxiv_id").iter_rows():
        expected = truth.hf_papers.get(arxiv_id)
        if expected and (upvotes, comment_count) != (expected.upvote_count, expected.comment_count):
            stale.append(f"{arxiv_id} has {upvotes}/{comment_count}, the world {expected.upvote_count}/{expected.comment_count}")
    return limited("hf_daily counts (upvotes/comments) stale", stale)


def arxiv_differences(papers: pl.DataFrame, truth: WorldTruth, arxiv_dates: set[date]) -> list[str]:
    held = dict(papers.filter(pl.col("feeds").list.contains("arxiv")).select("arxiv_id", "latest_version").iter_rows())
    expected = {i: t.version for i, t in truth.arxiv_papers.items() if t.v1_date in arxiv_dates}
    missing = sorted(set(expected) - set(held))
    # Papers of other days may be in the lake too (a lastUpdatedDate fetch brings them): only versions are judged there.
    stale = [f"{i} at v{held[i]}, the world at v{v}" for i, v in sorted(expected.items()) if i in held and held[i] != v]
    return limited("arxiv: missing", missing) + limited("arxiv: stale version", stale)


def duplicate_papers(papers: pl.DataFrame) -> list[str]:
    repeated = papers.group_by("paper_id").len().filter(pl.col("len") > 1)["paper_id"].sort().to_list()
    return limited("papers: more than one row", repeated)


def limited(what: str, items: list[str]) -> list[str]:
    if not items:
        return []
    more = f" (and {len(items) - LIMIT} more)" if len(items) > LIMIT else ""
    return [f"{what}: {', '.join(items[:LIMIT])}{more}"]
