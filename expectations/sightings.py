"""The `sightings` suite: one row per paper per snapshot, as a feed listed it."""

from __future__ import annotations

from expectations.common import PAPER_TEXT_RULES
from expectations.rules import ARXIV_EPOCH_DATE, TODAY, Suite, between, required_not_null, unique_key
from lake.schemas import SIGHTINGS

SUITE = Suite(
    SIGHTINGS,
    rules=(
        *required_not_null(SIGHTINGS),
        *PAPER_TEXT_RULES,
        between("rank_positive", "rank", min_value=1, why="ranks are 1-based"),
        between("upvotes_non_negative", "upvotes", min_value=0),
        between("comment_count_non_negative", "comment_count", min_value=0),
        between("snapshot_date_range", "snapshot_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        between("published_date_range", "published_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        unique_key(SIGHTINGS),
    ),
)
