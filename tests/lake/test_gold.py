"""lake/gold.py: the topics MERGE under a concurrent load.

Two loads of the same week both rewrite its topic rows from what they read. The one that commits
last must have read the other's sightings: rows computed before a concurrent load landed are read
again, never merged over the newer ones.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from lake import gold, table_setup, writes
from lake.store import Lake

WEEK = date(2024, 3, 11)
COMMIT = writes.CommitInfo(operation="test", run_id="run-1", feed="arxiv", snapshot_dates=(WEEK,))


def topic_rows(paper_count: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"week_start_date": [WEEK], "kind": ["arxiv_category"], "topic": ["cs.lg"],
         "paper_count": [paper_count], "listing_count": [paper_count], "upvote_count": [0]},
    )


def stored_paper_counts(lake: Lake) -> list[int]:
    return lake.read("topics")["paper_count"].to_list()


def test_rows_read_before_a_concurrent_load_landed_are_read_again(lake):
    table_setup.ensure_tables(lake)
    gold.merge_topics(lake, lambda: topic_rows(1), [WEEK], COMMIT)
    reads = []

    def rows_of() -> pl.DataFrame:
        reads.append(len(reads) + 1)
        if len(reads) == 1:  # a concurrent load lands its sightings and merges its topics after this read
            other = Lake(lake.uri)
            gold.merge_topics(other, lambda: topic_rows(3), [WEEK], COMMIT)
            return topic_rows(2)  # what this load read: without the other load's papers
        return topic_rows(4)  # read again: both loads' papers

    merged = gold.merge_topics(lake, rows_of, [WEEK], COMMIT)

    assert reads == [1, 2]
    assert merged["paper_count"].to_list() == [4]
    assert stored_paper_counts(lake) == [4]


def test_rows_are_read_once_when_no_load_commits_meanwhile(lake):
    table_setup.ensure_tables(lake)
    reads = []

    def rows_of() -> pl.DataFrame:
        reads.append(1)
        return topic_rows(5)

    gold.merge_topics(lake, rows_of, [WEEK], COMMIT)
    gold.merge_topics(lake, lambda: topic_rows(6), [WEEK], COMMIT)
    assert reads == [1]
    assert stored_paper_counts(lake) == [6]
    assert lake.read("topics").height == 1
