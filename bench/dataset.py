"""The benchmark's inputs on disk: synthetic feeds, and the folders each workload ingests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.synth import FeedFiles, write_feeds

# Ten years that end before today (snapshot dates in the future are quarantined) and use
# five-digit arXiv ids (from 2015 on).
START_DATE = date(2016, 1, 1)


@dataclass(frozen=True)
class Sizes:
    day_count: int = 365  # the one-year backfill
    long_day_count: int = 3650  # the ten-year backfill
    per_day: int = 200  # papers on a day's page
    repeat_count: int = 3  # runs of each timed figure
    daily_day_count: int = 3  # new days loaded into each lake (one timed run each)
    maintain_day_count: int = 365  # daily commits before `maintain`
    chunk_file_count: int | None = None  # ingest's chunk size (None: the command's own)
    one_worker: bool = False  # all pipeline jobs in one worker process (pays its start-up once)
    warm_up: bool = True  # a throwaway load before the timed ones (off in the smoke run: its times mean nothing)
    window_run_count: int = 4  # scheduled runs against the living world per lake: the first starts the windows
    # Issue 14: the arXiv-volume backfills (bench/volume_world.py), whose lakes are "the one-year and ten-year lakes"
    volume_day_count: int = 3653  # ten years, 2016-01-01..2025-12-31
    volume_short_day_count: int = 366  # one year, 2016
    volume_scale: float = 1.0  # multiplies arXiv's daily counts (the smoke run's few papers a day)


SMOKE = Sizes(
    day_count=3, long_day_count=6, per_day=12, repeat_count=1, daily_day_count=1, maintain_day_count=3, chunk_file_count=2,
    one_worker=True, warm_up=False, window_run_count=2, volume_day_count=6, volume_short_day_count=3, volume_scale=0.02,
)


@dataclass(frozen=True)
class Dataset:
    feeds: FeedFiles
    short_dir: Path  # the pages of the first day_count days
    long_dir: Path  # the pages of the first long_day_count days
    maintain_dir: Path  # the pages of the first maintain_day_count days
    short_daily_dates: list[date]  # the days after the short range
    long_daily_dates: list[date]  # the days after the long range

    def daily_files(self, day: date) -> dict[str, str]:
        """A new day's payloads, one load each: the daily run's two live feeds, then the day's page copy."""
        return {
            "hf_daily": str(self.feeds.path("hf_daily", day)),
            "arxiv": str(self.feeds.path("arxiv", day)),
            "archive": str(self.feeds.path("pages", day)),
        }

    def page_files(self, folder: Path) -> list[Path]:
        return sorted(folder.iterdir())


def prepare(root: Path, sizes: Sizes) -> Dataset:
    """Write the feeds once (the long range and the daily days after it) and link the ranges' folders."""
    day_count = max(sizes.long_day_count, sizes.day_count + sizes.daily_day_count, sizes.maintain_day_count) + sizes.daily_day_count
    short_daily = [START_DATE + timedelta(days=sizes.day_count + i) for i in range(sizes.daily_day_count)]
    long_daily = [START_DATE + timedelta(days=sizes.long_day_count + i) for i in range(sizes.daily_day_count)]
    feeds = write_feeds(root / "feeds", START_DATE, day_count, sizes.per_day, set(short_daily) | set(long_daily))
    return Dataset(
        feeds,
        _linked(feeds, root / "backfill_short", sizes.day_count),
        _linked(feeds, root / "backfill_long", sizes.long_day_count),
        _linked(feeds, root / "daily_commits", sizes.maintain_day_count),
        short_daily,
        long_daily,
    )


def _linked(feeds: FeedFiles, folder: Path, day_count: int) -> Path:
    """A folder holding the first `day_count` pages as hard links: same bytes and mtime, no copy."""
    folder.mkdir(parents=True, exist_ok=True)
    for offset in range(day_count):
        source = feeds.path("pages", feeds.start_date + timedelta(days=offset))
        target = folder / source.name
        if not target.exists():
            os.link(source, target)
    return folder
