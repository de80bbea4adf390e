"""The daily flow against the living world (paperlake/living.py): real flows, real HTTP, a moved clock."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from flows.daily import daily
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats  # noqa: F401
from tests.flows.living_fixtures import living, living_world, scheduled_at  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

DAYS = (date(2024, 3, 18), date(2024, 3, 19))  # a Monday and a Tuesday of the living world


def test_a_settled_day_lands_exactly_as_the_world_says(living, lake):
    settled_at = scheduled_at(DAYS[-1] + timedelta(days=20))
    living.set_clock(settled_at)
    for day in DAYS:
        results = daily(day, lake_uri=lake.uri)
        assert {name: r.report.snapshots[0].status for name, r in results.items()} == {"hf_daily": "ok", "arxiv": "ok"}

    truth = living.world.truth(settled_at)
    sightings = lake.read("sightings")
    hf_rows = sightings.filter(pl.col("feed") == "hf_daily")
    assert sorted(hf_rows["arxiv_id"].to_list()) == sorted(i for day in DAYS for i in truth.hf_lists[day])
    assert {i: n for i, n in hf_rows.select("arxiv_id", "upvotes").iter_rows()} == {
        i: truth.hf_papers[i].upvote_count for i in hf_rows["arxiv_id"]
    }
    arxiv_rows = sightings.filter(pl.col("feed") == "arxiv")
    assert dict(arxiv_rows.select("arxiv_id", "arxiv_version").iter_rows()) == {
        i: t.version for i, t in truth.arxiv_papers.items() if t.v1_date in DAYS
    }
    assert lake.read("quarantine").height == 0
    assert_keys_unique(lake)

    again = daily(DAYS[0], lake_uri=lake.uri)  # nothing moves any more: the same bytes, nothing written
    assert {r.report.snapshots[0].status for r in again.values()} == {"skipped"}
