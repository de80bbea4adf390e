"""The suites of the gold tables `authors` and `topics` (issue 15): derived rows, so a broken rule is a bug.
`author_papers` has none: its rows are the parts of the `authors` rows, which are checked."""

from __future__ import annotations

from expectations.rules import ARXIV_EPOCH_DATE, TODAY, Suite, at_least, between, in_set, required_not_null, unique_key
from lake.gold_schemas import AUTHORS, TOPICS

AUTHORS_SUITE = Suite(
    AUTHORS,
    rules=(
        *required_not_null(AUTHORS),
        between("paper_count_positive", "paper_count", min_value=1, why="an author is on at least one paper"),
        # Each paper is listed at least once.
        at_least("listings_cover_papers", "listing_count", "paper_count"),
        between("first_listed_date_range", "first_listed_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        at_least("listed_dates_ordered", "last_listed_date", "first_listed_date"),
        between("upvote_count_non_negative", "upvote_count", min_value=0),
        unique_key(AUTHORS),
    ),
)

TOPICS_SUITE = Suite(
    TOPICS,
    rules=(
        *required_not_null(TOPICS),
        in_set("kind_known", "kind", ("arxiv_category", "hf_keyword")),
        between("paper_count_positive", "paper_count", min_value=1),
        # Each paper is listed at least once in a week it counts in.
        at_least("listings_cover_papers", "listing_count", "paper_count"),
        between("week_range", "week_start_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        between("upvote_count_non_negative", "upvote_count", min_value=0),
        unique_key(TOPICS),
    ),
)
