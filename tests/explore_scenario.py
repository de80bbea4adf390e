"""A small, fully known lake for the query, time-travel, CLI and report tests.

Seven days (2024-03-01..07) of three feeds, written straight through lake.writes and lake.papers (no Prefect),
one commit per feed and day, so every count the tests assert can be read off this file:

| paper | feed(s) | days | notes |
| --- | --- | --- | --- |
| 2403.00001 "Sparse Mixture Routing at Scale" | hf_daily 1-7, arxiv 1 (v1) and 5 (v2) | 7 | upvotes 5, 9, 14, 20, 22, 23, 23 |
| 2403.00002 "Counting Cats in Satellite Images" | hf_daily 3-5 | 3 | upvotes 40, 41, 41; abstract says "sparse routing" |
| 2403.00003 "Proof Search with Small Models" | hf_daily 7 | 1 | upvotes 2 |
| 2402.09999 "Grid-Free Neural Fields for Weather Maps" | arxiv 2 (v1) | 1 | |
| title:... "Sparse Routing for Tiny Transformers" | archive 2 and 6 | 2 | no arXiv id |

Authors (both feeds list them), arXiv categories and HF keywords, for the gold tables `authors` and
`topics` (written after each day's papers, as the load's gold step does, without validation):
Ana Ruiz writes A and B, Bo Li A and D, Émile Moreau D (key `emile moreau`); A is cs.LG with a cs.CL
cross-list, D cs.LG and physics.ao-ph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import polars as pl

from flows.gold_update import update_gold_tables
from flows.search_update import update_search_words
from lake import papers as lake_papers
from lake import table_setup, writes
from lake.schemas import QUARANTINE, SIGHTINGS
from transforms.identity import normalize_title, title_paper_id
from transforms.papers import summarize_papers

A, B, C, D = "2403.00001", "2403.00002", "2403.00003", "2402.09999"
TINY_TITLE = "Sparse Routing for Tiny Transformers"
T = title_paper_id(normalize_title(TINY_TITLE))

TITLES = {
    A: "Sparse Mixture Routing at Scale",
    B: "Counting Cats in Satellite Images",
    C: "Proof Search with Small Models",
    D: "Grid-Free Neural Fields for Weather Maps",
    T: TINY_TITLE,
}
ABSTRACTS = {
    A: "We route tokens to experts with a learned router and scale it to a trillion parameters.",
    B: "A dataset of satellite tiles with point labels; unlike sparse routing models, our counter is dense.",
    C: "Best-first proof search with a small model proves more theorems than sampling whole proofs.",
    D: "Neural fields fitted over the sphere without a grid lower the forecast error.",
    T: "We study how to route tokens through a small set of experts in tiny transformers.",
}


AUTHORS = {A: ["Ana Ruiz", "Bo Li"], B: ["Chen Xu", "Ana Ruiz"], C: ["Dara Okafor"], D: ["Bo Li", "Émile Moreau"]}
CATEGORIES = {A: ["cs.LG", "cs.CL"], D: ["cs.LG", "physics.ao-ph"]}
KEYWORDS = {A: ["mixture of experts", "routing"], B: ["counting", "remote sensing"], C: ["theorem proving"]}


def day(n: int) -> date:
    return date(2024, 3, n)


def _hf(paper_id: str, n: int, rank: int, upvotes: int) -> dict:
    return {
        "paper_id": paper_id, "arxiv_id": paper_id, "feed": "hf_daily", "snapshot_date": day(n), "rank": rank, "upvotes": upvotes,
        "authors": AUTHORS[paper_id], "ai_keywords": KEYWORDS[paper_id],
    }


def _arxiv(paper_id: str, n: int, rank: int, version: int) -> dict:
    return {
        "paper_id": paper_id, "arxiv_id": paper_id, "feed": "arxiv", "snapshot_date": day(n), "rank": rank, "arxiv_version": version,
        "authors": AUTHORS[paper_id],
        "primary_category": CATEGORIES[paper_id][0], "categories": CATEGORIES[paper_id],
    }


def _archive(n: int, rank: int) -> dict:
    return {"paper_id": T, "arxiv_id": None, "feed": "archive", "snapshot_date": day(n), "rank": rank}


A_UPVOTES = [5, 9, 14, 20, 22, 23, 23]
ROWS = (
    [_hf(A, n, 1 if n < 3 or n > 5 else 2, A_UPVOTES[n - 1]) for n in range(1, 8)]
    + [_hf(B, n, 1, votes) for n, votes in zip((3, 4, 5), (40, 41, 41), strict=True)]
    + [_hf(C, 7, 2, 2)]
    + [_arxiv(A, 1, 1, 1), _arxiv(D, 2, 1, 1), _arxiv(A, 5, 1, 2)]
    + [_archive(2, 1), _archive(6, 1)]
)


def scenario_sightings() -> pl.DataFrame:
    rows = [
        {
            **row,
            "snapshot_id": f"{row['feed']}-{row['snapshot_date']}",
            "title": TITLES[row["paper_id"]],
            "abstract": ABSTRACTS[row["paper_id"]],
            "title_key": normalize_title(TITLES[row["paper_id"]]),
        }
        for row in ROWS
    ]
    return SIGHTINGS.conform(pl.DataFrame(rows, infer_schema_length=None))


@dataclass
class WrittenLake:
    lake: object
    # commit time after each day's commits: moments[n] lies after day n was written and before day n+1
    moments: dict[int, datetime] = field(default_factory=dict)


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    """A result's `columns` as tuples: what the tests compare with the scenario's expected rows."""
    return frame.select(columns).rows()


def write_scenario(lake, days: range = range(1, 8), quarantined: bool = True) -> WrittenLake:
    """Write the scenario day by day: sightings per feed, then the papers of that day's batch."""
    table_setup.ensure_tables(lake)
    written = WrittenLake(lake)
    everything = scenario_sightings()
    for n in days:
        todays = everything.filter(pl.col("snapshot_date") == day(n))
        for (feed,), rows in todays.group_by("feed", maintain_order=True):
            commit = writes.CommitInfo("ingest", run_id=f"run-{n}", feed=feed, snapshot_dates=(day(n),))
            writes.append(lake, SIGHTINGS, rows, commit)
        so_far = everything.filter(pl.col("snapshot_date") <= day(n))
        touched = so_far.filter(pl.col("paper_id").is_in(todays["paper_id"].implode()))
        papers = summarize_papers(touched)
        commit = writes.CommitInfo("ingest", run_id=f"run-{n}", snapshot_dates=(day(n),))
        new_paper_ids = papers.filter(pl.col("paper_id").is_in(so_far.filter(pl.col("snapshot_date") < day(n))["paper_id"].implode()).not_())["paper_id"].to_list()
        lake_papers.upsert_papers(lake, papers, commit)
        update_search_words(lake, papers, new_paper_ids, [], commit)  # a load indexes what it writes
        update_gold_tables(lake, touched, papers, [], commit, datetime(2024, 3, 8, tzinfo=timezone.utc), validate=False)
        written.moments[n] = _pause()
    if quarantined:
        writes.append(lake, QUARANTINE, quarantine_rows(), writes.CommitInfo("validate", run_id="run-q"))
    return written


def quarantine_rows() -> pl.DataFrame:
    rules = ["title_not_null", "title_not_null", "arxiv_version_positive"]
    return pl.DataFrame(
        {
            "quarantine_id": [f"q{i}" for i in range(len(rules))],
            "table": ["sightings"] * len(rules),
            "feed": ["hf_daily", "hf_daily", "arxiv"],
            "snapshot_date": [day(2), day(3), day(5)],
            "rule": rules,
            "reason": [f"{rule} broken" for rule in rules],
            "row_json": ["{}"] * len(rules),
            "quarantined_at": [datetime(2024, 3, 5, tzinfo=timezone.utc)] * len(rules),
        }
    )


def _pause() -> datetime:
    """A moment strictly between two commits (Delta commit times have millisecond resolution)."""
    time.sleep(0.02)
    moment = datetime.now(timezone.utc)
    time.sleep(0.02)
    return moment
