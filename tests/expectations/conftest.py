"""Batches for the gate's tests, built from small JSON fixtures; one GX context serves the session."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from feeds.base import parsed_frame
from lake.schemas import PAPERS, SIGHTINGS, SNAPSHOTS
from transforms.identity import with_paper_id, with_title_key

FIXTURES = Path(__file__).parents[1] / "data" / "expectations"
FEED = "hf_daily"
SNAPSHOT_DATE = date(2024, 3, 11)
SNAPSHOT_ID = "5" * 64
TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 6, 30, tzinfo=timezone.utc)
RUN_ID = "run-0001"


def fixture_rows(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sightings(records: list[dict], *, feed: str = FEED, snapshot_date: date = SNAPSHOT_DATE) -> pl.DataFrame:
    """Parser rows -> a sightings batch the way transforms/ keys it, but without its dedupe."""
    parsed = parsed_frame(records).with_columns(
        pl.lit(SNAPSHOT_ID).alias("snapshot_id"), pl.lit(feed).alias("feed"), pl.lit(snapshot_date).alias("snapshot_date")
    )
    return SIGHTINGS.conform(with_paper_id(with_title_key(parsed)))


def papers(count: int = 3) -> pl.DataFrame:
    rows = fixture_rows("clean_rows.json")[:count]
    keyed = sightings(rows)
    return PAPERS.conform(
        keyed.select(
            "paper_id",
            "arxiv_id",
            "title",
            "abstract",
            "title_key",
            pl.col("snapshot_date").alias("first_seen_date"),
            (pl.col("snapshot_date") + pl.duration(days=2)).alias("last_seen_date"),
            pl.lit(2).alias("days_seen"),
            pl.lit(3).alias("sighting_count"),
            pl.lit(["arxiv", FEED]).alias("feeds"),
        )
    )


def snapshots(count: int = 3) -> pl.DataFrame:
    return SNAPSHOTS.conform(
        pl.DataFrame(
            {
                "snapshot_id": [f"{i:064x}" for i in range(1, count + 1)],
                "feed": [FEED] * count,
                "snapshot_date": [SNAPSHOT_DATE] * count,
                "source": [f"https://huggingface.co/api/daily_papers?date=2024-03-11&p={i}" for i in range(count)],
                "format": ["hf_json"] * count,
                "fetched_at": [NOW] * count,
                "byte_count": [3] * count,
                "content": [b"[]"] * count,
                "parse_status": ["ok"] * count,
                "parse_errors": [[]] * count,
                "row_count": [0] * count,
                "loaded_at": [None] * count,
            }
        )
    )


def authors(count: int = 3) -> pl.DataFrame:
    """`authors` rows as the gold step makes them: a few authors of two papers listed on two days."""
    from transforms.gold import author_papers, authors_from

    names = [f"Author {chr(65 + i)}" for i in range(count)]
    facts = pl.DataFrame({"paper_id": ["2403.00987", "2403.00988"], "authors": [names, names[:1]], "upvotes": [3, 5]})
    seen = pl.DataFrame({
        "paper_id": ["2403.00987", "2403.00988", "2403.00987"], "feed": ["hf_daily"] * 3, "snapshot_date": [SNAPSHOT_DATE, SNAPSHOT_DATE, date(2024, 3, 12)],
    })
    return authors_from(author_papers(facts, seen))


def topics(count: int = 3) -> pl.DataFrame:
    from transforms.gold import topics_from

    facts = pl.DataFrame(
        {"paper_id": ["2403.00987"], "categories": [["cs.LG", "stat.ML"]], "keywords": [["moe"]], "upvotes": [4]},
        schema_overrides={"upvotes": pl.Int32},
    )
    seen = pl.DataFrame({"paper_id": ["2403.00987"] * 2, "feed": [FEED, "arxiv"], "snapshot_date": [SNAPSHOT_DATE] * 2})
    return topics_from(facts, seen).head(count)


CLEAN_BATCHES = {
    "sightings": lambda: sightings(fixture_rows("clean_rows.json")), "papers": papers, "snapshots": snapshots,
    "authors": authors, "topics": topics,
}


def gate(table: str, batch: pl.DataFrame, **kwargs):
    from expectations.gate import gate_batch

    args = dict(feed=FEED, snapshot_date=SNAPSHOT_DATE, run_id=RUN_ID, today=TODAY, quarantined_at=NOW) | kwargs
    return gate_batch(table, batch, **args)


def assert_accounted(result) -> None:
    """Every row is committed, quarantined or (with the whole batch) rejected: none is lost."""
    assert result.clean.height + result.quarantined.height + result.rejected_count == result.rows_in_count


@pytest.fixture(scope="session", autouse=True)
def _gx_once():
    """Pay for Great Expectations' import and context once, not in whichever test runs first."""
    from expectations import gx_runtime

    gx_runtime.context()
