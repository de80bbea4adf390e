"""Fetch some days of one feed, load them in one batch, record what each day now is.

    fetch each day (a failing day is recorded; the others go on)
      ─► load the fetched days together (flows/pipeline.py: a few commits per table)
      ─► record each day in `feed_days`: fetched, changed, provisional or final (one commit)

The daily run and the backfill both go through here; they differ only in which days they ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from time import perf_counter
from typing import Callable

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from feeds.base import Payload
from feeds.registry import open_feed
from feeds.settling import Settling
from flows.pipeline import load_payloads
from flows.reports import BatchesRejected, LoadReport
from lake import feed_days as lake_feed_days
from lake import writes
from lake.store import Lake
from transforms.feed_days import DayChange, Observation, observe


@task(cache_policy=NO_CACHE, task_run_name="fetch-{feed_name}-{day}")
def fetch(feed_name: str, day: date, now: datetime | None = None) -> list[Payload]:
    """Every page of one feed-day, or FetchError naming feed, day, URL and status: nothing partial.

    `now` stands in for the clock (tests walking through simulated days); the payloads are stamped with it.
    """
    options = {"clock": lambda: now} if now else {}
    with open_feed(feed_name, **options) as feed:
        payloads = feed.fetch(day)
    get_run_logger().info("fetched %s %s: %d payload(s), %d bytes", feed_name, day, len(payloads), sum(len(p.content) for p in payloads))
    return payloads


@dataclass
class FetchedDays:
    feed: str
    payloads: dict[date, list[Payload]] = field(default_factory=dict)
    failures: dict[date, str] = field(default_factory=dict)
    fetch_seconds: dict[date, float] = field(default_factory=dict)

    @property
    def byte_count(self) -> int:
        return sum(len(p.content) for payloads in self.payloads.values() for p in payloads)


def fetch_days(
    feed_name: str,
    days: list[date],
    now: datetime | None = None,
    on_fetched: Callable[[date], None] = lambda day: None,
    on_failed: Callable[[date], None] = lambda day: None,
) -> FetchedDays:
    """Every day submitted at once to the flow's task runner, then each taken in order; a day that
    cannot be fetched is recorded and the others go on."""
    fetched = FetchedDays(feed_name)
    previous = perf_counter()
    futures = [(day, fetch.submit(feed_name, day, now)) for day in days]
    for day, future in futures:
        try:
            fetched.payloads[day] = future.result()
            on_fetched(day)
        except Exception as error:  # FetchError after the HTTP retries, or a feed that cannot be set up
            fetched.failures[day] = failure_message(feed_name, day, error)
            on_failed(day)
        # Days fetched in parallel overlap: a day's time is the wait since the previous one was in hand.
        current = perf_counter()
        fetched.fetch_seconds[day], previous = current - previous, current
    return fetched


@dataclass
class LoadedDays:
    report: LoadReport | None  # None: the load failed before it could say
    error: str = ""
    load_seconds: float = 0.0
    changes: list[DayChange] = field(default_factory=list)


def load_and_record(
    lake: Lake, fetched: FetchedDays, settling: Settling, commit: writes.CommitInfo, now: datetime, publish_docs: bool = True
) -> LoadedDays:
    """One load of every fetched day, then one feed_days commit saying what each day is now.

    `publish_docs=False`: the report carries its gate results for the flow to publish with the others'.
    """
    days = sorted(fetched.payloads)
    payloads = [p for day in days for p in fetched.payloads[day]]
    loaded = LoadedDays(None)
    started = perf_counter()
    if payloads:
        settled = {(fetched.feed, day) for day in days if settling.is_final(day, _fetched_at(fetched.payloads[day], now))}
        try:
            loaded.report = load_payloads(lake, payloads, commit, now, settling=settled, publish_docs=publish_docs)
        except BatchesRejected as rejected:  # those feed-days committed nothing but their raw snapshots; the rest landed
            loaded.report = rejected.report
        except Exception as failure:  # nothing says which days got through: the lake does, below
            loaded.error = f"load failed: {type(failure).__name__}: {failure}"
            get_run_logger().error("%s %s..%s: %s", fetched.feed, days[0], days[-1], loaded.error)
    loaded.load_seconds = perf_counter() - started
    rejected = loaded.report.rejected_feed_days if loaded.report else {}
    loaded.changes = record_days(lake, fetched, settling, commit, now, loaded.error, rejected)
    return loaded


def record_days(
    lake: Lake, fetched: FetchedDays, settling: Settling, commit: writes.CommitInfo, now: datetime, load_error: str = "",
    rejected: dict[tuple[str, date], list[str]] | None = None,
) -> list[DayChange]:
    """Each attempted day's feed_days row, from what the lake now holds of its payloads."""
    attempted = sorted(set(fetched.payloads) | set(fetched.failures))
    if not attempted:
        return []
    ids = [p.snapshot_id for payloads in fetched.payloads.values() for p in payloads]
    row_counts = lake_feed_days.snapshot_row_counts(lake, ids)
    observations = [_observation(fetched, day, row_counts, now, load_error, (rejected or {}).get((fetched.feed, day))) for day in attempted]
    rows, changes = observe(lake_feed_days.rows_of(lake, fetched.feed, attempted), observations, settling)
    lake_feed_days.record(lake, rows, commit)
    return changes


def _observation(
    fetched: FetchedDays, day: date, row_counts: dict[str, int | None], now: datetime, load_error: str, rejections: list[str] | None
) -> Observation:
    if day in fetched.failures:
        return Observation(fetched.feed, day, now, error=fetched.failures[day])
    payloads = fetched.payloads[day]
    ids = tuple(dict.fromkeys(p.snapshot_id for p in payloads))
    counts = [row_counts.get(snapshot_id) for snapshot_id in ids]
    error = None
    if rejections:
        error = "; ".join(rejections)
    elif any(count is None for count in counts):  # pending (the load failed), or held by a batch rule in an earlier run
        error = f"{fetched.feed} {day}: " + (load_error or "its payload was held by a validation batch rule (see `paperlake status`)")
    return Observation(fetched.feed, day, _fetched_at(payloads, now), ids, None if error else sum(counts), error)


def _fetched_at(payloads: list[Payload], now: datetime) -> datetime:
    stamps = [p.fetched_at for p in payloads if p.fetched_at]
    moment = max(stamps) if stamps else now
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def failure_message(feed_name: str, day: date, error: Exception) -> str:
    """The error as one line that names the feed-day (a FetchError already does, with URL and status)."""
    text = str(error) or type(error).__name__
    prefix = f"{feed_name} {day.isoformat()}"
    return text if text.startswith(prefix) else f"{prefix}: {type(error).__name__}: {text}"
