"""The scheduled daily run, weeks of it, against feeds that are alive: it ends holding exactly the truth.

The living world (paperlake/living.py) fills each Hugging Face list through its day and the next
morning, grows counts for two weeks, announces arXiv papers on the real schedule (weekends later),
adds new versions days after, and throws a 429 now and then. The `daily` flow runs at 06:00 UTC on
each simulated day, as the deployment's schedule fires it, with the clock injected (the real
command under a moved process clock is tests/test_scheduled_clock.py), through a two-day and a
ten-day outage, and single days without a run (every other day in the first and last weeks). No
run may fail; at the end the lake must hold every list of every day, each paper's latest counts,
every arXiv paper at its latest version, each paper once.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from flows.daily import daily
from lake.progress import table_versions
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats  # noqa: F401
from paperlake.living import LivingWorld
from tests.flows.living_fixtures import LIVING_SEED, LIVING_SETTINGS, living, outage, scheduled_run_times  # noqa: F401
from tests.flows.living_truth import lake_differences

pytestmark = [pytest.mark.usefixtures("prefect_harness", "no_heartbeats"), pytest.mark.slow]

# Four weeks of the world, run each morning until three days after it: long enough for Hugging Face
# days to settle (15 days and two quiet ones) after a ten-day outage.
LIVING_START, LIVING_END = date(2024, 3, 4), date(2024, 3, 31)
SHORT_OUTAGE = outage(date(2024, 3, 9), 2)  # a weekend
LONG_OUTAGE = outage(date(2024, 3, 14), 10)
# Each run refetches every day still open, so runs every other day still meet days filling,
# settling, going quiet and final, and catch up after each gap: 12 runs instead of 19.
ONE_DAY_OUTAGES = {date(2024, 3, 5), date(2024, 3, 7)} | {date(2024, 3, 25) + timedelta(days=2 * n) for n in range(5)}
LAST_RUN_DATE = LIVING_END + timedelta(days=3)


@pytest.fixture(scope="module")
def living_world() -> LivingWorld:
    """Overrides the session's six-week world (tests/flows/living_fixtures.py) with a shorter one."""
    return LivingWorld(LIVING_START, LIVING_END, seed=LIVING_SEED, settings=LIVING_SETTINGS)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_weeks_of_scheduled_runs_through_outages_end_with_exactly_the_worlds_truth(living, lake):
    runs = list(scheduled_run_times(LIVING_START, LAST_RUN_DATE, SHORT_OUTAGE | LONG_OUTAGE | ONE_DAY_OUTAGES))
    assert len(runs) == 12 and runs[-1].date() == LAST_RUN_DATE
    fetched_day_counts = []
    for run_at in runs:
        living.set_clock(run_at)
        results = daily(lake_uri=lake.uri, now=run_at)  # raises if any feed-day failed
        fetched_day_counts.append(sum(len(r.days) for r in results.values()))
    last_run_at = runs[-1]

    truth = living.world.truth(last_run_at)
    hf_dates = days_between(LIVING_START, LIVING_END)
    assert lake_differences(lake, truth, hf_dates, hf_dates) == []
    assert sum(len(truth.hf_lists[d]) for d in hf_dates) > 150 and len(truth.arxiv_papers) > 250  # a real scenario
    # Counts: every HF paper holds the world's count as of the last run; those of settled days are final.
    papers = lake.read("papers")
    settled = {i: p.upvote_count for i, p in truth.hf_papers.items() if p.settled}
    held = dict(papers.filter(pl.col("arxiv_id").is_in(list(settled))).select("arxiv_id", "upvotes").iter_rows())
    assert held == settled and len(settled) > 60
    # Listings, not fetches: each HF paper is on one date's list, however often that day was fetched.
    hf_papers = papers.filter(pl.col("feeds").list.contains("hf_daily") & (pl.col("feeds").list.len() == 1))
    assert set(hf_papers["days_seen"]) == {1} and set(hf_papers["sighting_count"]) == {1}
    assert lake.read("quarantine").is_empty()
    assert_keys_unique(lake)

    # The window: after the ten-day outage the first run caught up on every missed day.
    catch_up = runs.index(next(r for r in runs if r.date() > max(LONG_OUTAGE)))
    assert fetched_day_counts[catch_up] > fetched_day_counts[catch_up - 1]

    # Old days are final, recent ones provisional; nothing is stuck.
    feed_days = lake.read("feed_days")
    final_through = {feed: rows.filter(pl.col("status") == "final")["snapshot_date"].max() for (feed,), rows in feed_days.group_by("feed")}
    assert final_through["hf_daily"] >= LAST_RUN_DATE - timedelta(days=19)
    assert final_through["arxiv"] >= LAST_RUN_DATE - timedelta(days=8)
    old = feed_days.filter(pl.col("snapshot_date") <= min(final_through.values()))
    assert set(old["status"]) == {"final"} and old["last_error"].null_count() == old.height

    # Rerunning an old day changes nothing: the same bytes (HF), and no paper changes (arXiv shows each
    # paper at its latest version, which the lake already has from the replacement listings).
    versions, papers_before = table_versions(lake), lake.read("papers").sort("paper_id")
    daily(day=date(2024, 3, 6), feeds=["hf_daily"], lake_uri=lake.uri, now=last_run_at)
    assert table_versions(lake) == versions
    daily(day=date(2024, 3, 6), feeds=["arxiv"], lake_uri=lake.uri, now=last_run_at)
    stable = [c for c in papers_before.columns if c not in ("counts_observed_at",)]
    assert lake.read("papers").sort("paper_id").select(stable).equals(papers_before.select(stable))
