"""Shared by the flow tests that fetch: a replay server on 127.0.0.1 the live feeds point at, fast retries.

The feeds read their settings from the environment when a flow opens them, so the tests set the
same variables a user would ($PAPERLAKE_HF_URL, $PAPERLAKE_HTTP_*, ...) with monkeypatch.
Import the fixtures into a test module: `from tests.flows.live_fixtures import live, ...`.
"""

from __future__ import annotations

import importlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from paperlake.replay import ReplayServer
from tests.feeds.replay_fixtures import SAMPLES

MAR_11, MAR_12, MAR_13 = date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13)
SAMPLE_DATES = (MAR_11, MAR_12, MAR_13)

# Two attempts and no waiting: a retried failure costs milliseconds, and "gave up after 2 attempts" is checkable.
FAST_HTTP_ENV = {
    "PAPERLAKE_HTTP_MAX_ATTEMPTS": "2",
    "PAPERLAKE_HTTP_BACKOFF_SECONDS": "0",
    "PAPERLAKE_HTTP_RETRY_AFTER_MAX_SECONDS": "0",
    "PAPERLAKE_HTTP_READ_TIMEOUT_SECONDS": "5",
    "PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS": "0",
}


@pytest.fixture
def no_heartbeats():
    """Flow runs without Prefect's heartbeat thread: each run's end otherwise waits up to a second for it to wake."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def point_feeds_at(monkeypatch, base_url: str) -> None:
    for name, value in {**FAST_HTTP_ENV, "PAPERLAKE_HF_URL": base_url, "PAPERLAKE_ARXIV_URL": base_url}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def live(monkeypatch):
    """A replay server of samples/ (2024-03-11..13) that the live feeds fetch from."""
    with ReplayServer(SAMPLES) as server:
        point_feeds_at(monkeypatch, server.base_url)
        yield server


def small_pages(monkeypatch, page_size: int) -> None:
    """Feeds opened by the flows ask for `page_size` items a page, so one day takes several requests."""

    def open_feed(name: str, **options):
        return importlib.import_module(f"feeds.{name}").from_env(page_size=page_size, **options)

    monkeypatch.setattr("flows.feed_days.open_feed", open_feed)


def sample_days(folder: Path, first_date: date, day_count: int) -> Path:
    """A samples folder with `day_count` consecutive days, each a different payload, cycling through the three real ones.

    The same papers come back every third day, as they do on the real lists; each day's hf_daily
    listing carries its own listing date, so no two days have the same bytes (arXiv's payload names
    its day in the query it records).
    """
    for feed in ("hf_daily", "arxiv"):
        (folder / feed).mkdir(parents=True, exist_ok=True)
    for offset in range(day_count):
        day = first_date + timedelta(days=offset)
        source = SAMPLE_DATES[offset % len(SAMPLE_DATES)]
        items = json.loads((SAMPLES / "hf_daily" / f"{source}.json").read_text("utf-8"))
        for item in items:
            item["publishedAt"] = f"{day.isoformat()}T03:00:00.000Z"
        (folder / "hf_daily" / f"{day}.json").write_text(json.dumps(items, ensure_ascii=False), "utf-8")
        shutil.copyfile(SAMPLES / "arxiv" / f"{source}.xml", folder / "arxiv" / f"{day}.xml")
    return folder


def requested_days(server: ReplayServer, path: str, since: int = 0) -> list[str]:
    """The day each request to `path` (from the `since`-th on) asked for, in order; an arXiv day's
    second query (its replacements, by lastUpdatedDate) is not counted again."""
    days = []
    for request in server.requests[since:]:
        if request.path != path or "lastUpdatedDate" in request.params.get("search_query", ""):
            continue
        days.append(request.params.get("date") or _arxiv_day(request.params["search_query"]))
    return days


def _arxiv_day(query: str) -> str:
    stamp = query.split("Date:[", 1)[1][:8]  # submittedDate or lastUpdatedDate
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:]}"
