"""The daily flow against the living world (paperlake/living.py): real flows, real HTTP, a moved clock."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from flows.daily import daily
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats  # noqa: F401
from tests.flows.living_fixtures import living, living_world, scheduled_at  # noqa: F401
from tests.flows.living_truth import lake_differences

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

DAYS = (date(2024, 3, 18), date(2024, 3, 19))  # a Monday and a Tuesday of the living world


def test_a_settled_day_lands_exactly_as_the_world_says(living, lake):
    listed_at = scheduled_at(DAYS[0] + timedelta(days=1), hour=12)  # the list is complete, its counts still grow
    living.set_clock(listed_at)
    daily(DAYS[0], ["hf_daily"], lake.uri)
    assert lake_differences(lake, living.world.truth(listed_at), DAYS[:1], ()) == []
    settled_at = scheduled_at(DAYS[-1] + timedelta(days=20))
    [stale] = lake_differences(lake, living.world.truth(settled_at), DAYS[:1], ())
    assert stale.startswith("hf_daily counts (upvotes/comments) stale: ")

    living.set_clock(settled_at)
    for day in DAYS:
        results = daily(day, lake_uri=lake.uri)
        assert {name: r.report.snapshots[0].status for name, r in results.items()} == {"hf_daily": "ok", "arxiv": "ok"}

    truth = living.world.truth(settled_at)
    assert lake_differences(lake, truth, DAYS, DAYS) == []
    unfetched_day = DAYS[-1] + timedelta(days=1)
    [missing] = lake_differences(lake, truth, [*DAYS, unfetched_day], DAYS)
    assert missing.startswith(f"hf_daily {unfetched_day}: missing: {truth.hf_lists[unfetched_day][0]}")
    sightings = lake.read("sightings")
    hf_rows = sightings.filter(pl.col("feed") == "hf_daily")  # DAYS[0] twice: listed, then settled
    assert hf_rows.height == len(truth.hf_lists[DAYS[0]]) * 2 + len(truth.hf_lists[DAYS[1]])
    # The days' own submissions (their replacement listings also bring new versions of older papers).
    arxiv_rows = sightings.filter((pl.col("feed") == "arxiv") & pl.col("published_date").is_in(DAYS))
    assert dict(arxiv_rows.select("arxiv_id", "arxiv_version").iter_rows()) == {
        i: t.version for i, t in truth.arxiv_papers.items() if t.v1_date in DAYS
    }
    assert lake.read("quarantine").height == 0
    assert_keys_unique(lake)

    again = daily(DAYS[0], lake_uri=lake.uri)  # nothing moves any more: the same bytes, nothing written
    assert {r.report.snapshots[0].status for r in again.values()} == {"skipped"}
