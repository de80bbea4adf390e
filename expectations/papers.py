"""The `papers` suite: one row per distinct paper with when and how often it was seen."""

from __future__ import annotations

from expectations.common import PAPER_TEXT_RULES
from expectations.rules import ARXIV_EPOCH_DATE, TODAY, Suite, at_least, between, required_not_null, unique_key
from lake.schemas import PAPERS

SUITE = Suite(
    PAPERS,
    rules=(
        *required_not_null(PAPERS),
        *PAPER_TEXT_RULES,
        between("first_seen_date_range", "first_seen_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        between("last_seen_date_range", "last_seen_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        at_least("seen_dates_ordered", "last_seen_date", "first_seen_date"),
        between("days_seen_positive", "days_seen", min_value=1),
        # One sighting per (feed, snapshot): a paper seen on N days was sighted at least N times.
        at_least("sighting_count_covers_days", "sighting_count", "days_seen"),
        unique_key(PAPERS),
    ),
)
