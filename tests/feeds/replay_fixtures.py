"""Shared by the live-feed tests: a replay server on 127.0.0.1, fast HTTP settings, a fake clock.

Import the fixtures into a test module (`from tests.feeds.replay_fixtures import replay, ...`);
they are not in a conftest so that they stay out of the other suites.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.http import HttpClient, Pacer
from feeds.http_settings import HttpSettings
from paperlake.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
FEED_DATA = ROOT / "tests" / "data" / "feeds"
FETCHED_AT = datetime(2024, 3, 14, 6, 0, tzinfo=UTC)

# Real waits would make the suite slow; the recorded waits are what the tests assert on.
FAST = HttpSettings(
    connect_timeout_seconds=2.0,
    read_timeout_seconds=2.0,
    max_attempts=3,
    backoff_seconds=0.5,
    backoff_max_seconds=4.0,
    retry_after_max_seconds=30.0,
    min_interval_seconds=0.0,
)
# For the tests that make the server stall: short enough to keep them fast.
IMPATIENT = replace(FAST, read_timeout_seconds=0.2)


class FakeTime:
    """sleep() records the wait and advances the clocks instead of blocking."""

    def __init__(self, now: datetime = FETCHED_AT):
        self.now = now
        self.elapsed_seconds = 0.0
        self.sleeps: list[float] = []
        self.pacer = Pacer(self.sleep, self.monotonic)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed_seconds += seconds

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.elapsed_seconds


def fixed_clock() -> datetime:
    return FETCHED_AT


def make_http(feed: str, fake_time: FakeTime, settings: HttpSettings = FAST) -> HttpClient:
    return HttpClient(feed, settings, sleep=fake_time.sleep, clock=fake_time.clock, rng=random.Random(7), pacer=fake_time.pacer)


@pytest.fixture
def replay():
    with ReplayServer(SAMPLES) as server:
        yield server


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def fixture_bytes(name: str) -> bytes:
    return (FEED_DATA / name).read_bytes()
