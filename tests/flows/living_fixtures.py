"""For flow tests against feeds that are alive: a living-world replay server the feeds point at, and its clock.

    from tests.flows.living_fixtures import living, scheduled_run_times  # noqa: F401

    def test_weeks_of_daily_runs(living, lake):
        for run_at in scheduled_run_times(living.world.start_date, living.world.end_date, outage_dates=...):
            living.set_clock(run_at)          # the server answers what the real APIs would at run_at
            ...                               # run the flow "at" run_at (inject the clock or shift it)
        truth = living.world.truth(run_at)    # what the lake should hold

The world's 429s are on (2 % of requests, as the held-out world has them) with `Retry-After: 0`,
so the client's retries get through without waiting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Iterable, Iterator

import pytest

from paperlake.living import LivingWorld, WorldSettings
from paperlake.replay import ReplayServer
from tests.flows.live_fixtures import point_feeds_at

LIVING_START, LIVING_END = date(2024, 3, 4), date(2024, 4, 14)  # six weeks, Monday to Sunday, across the DST switch
LIVING_SEED = 12
LIVING_SETTINGS = replace(WorldSettings(), retry_after_seconds=0)
SCHEDULE_HOUR_UTC = 6  # the daily deployment's schedule


@pytest.fixture(scope="session")
def living_world() -> LivingWorld:
    return LivingWorld(LIVING_START, LIVING_END, seed=LIVING_SEED, settings=LIVING_SETTINGS)


@pytest.fixture
def living(monkeypatch, living_world):
    """A ReplayServer of `living_world` that the live feeds fetch from; its clock starts on the first day at 06:00."""
    with ReplayServer(world=living_world, clock=lambda: scheduled_at(LIVING_START)) as server:
        server.set_clock(scheduled_at(LIVING_START))
        point_feeds_at(monkeypatch, server.base_url)
        yield server


def scheduled_at(day: date, hour: int = SCHEDULE_HOUR_UTC) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def scheduled_run_times(first_date: date, last_date: date, outage_dates: Iterable[date] = ()) -> Iterator[datetime]:
    """06:00 UTC of every day from first_date to last_date, both included, except the outage days."""
    skipped = set(outage_dates)
    for offset in range((last_date - first_date).days + 1):
        day = first_date + timedelta(days=offset)
        if day not in skipped:
            yield scheduled_at(day)


def outage(first_date: date, day_count: int) -> set[date]:
    return {first_date + timedelta(days=n) for n in range(day_count)}
