"""`paperlake run`: every configured feed for one day, each feed on its own.

    daily ─┬─ feed-day hf_daily: fetch (every page) ─► store raw ─► parse ─► normalize ─► validate ─► write
           └─ feed-day arxiv:    fetch (every page) ─► ...

A feed-day fetches all its pages before anything is stored, so a failure on any page (after the
HTTP retries) commits nothing for it and fails its own subflow run; the other feeds still land,
and the daily run then fails naming the feed-days that did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from time import perf_counter

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from feeds.base import Payload
from feeds.registry import LIVE_FEEDS, open_feed
from flows.pipeline import load_payloads
from flows.reports import BatchesRejected, LoadReport
from lake import writes
from lake.store import Lake
from paperlake.config import resolve_lake_uri


@dataclass
class FeedDayResult:
    """What one feed-day loaded, and where its time went (the fetch is network, the load is local)."""

    feed: str
    day: date
    report: LoadReport
    fetch_seconds: float
    load_seconds: float
    byte_count: int


class FeedsFailed(RuntimeError):
    """Some feeds of a day did not land; `results` holds those that did."""

    def __init__(self, day: date, results: dict[str, FeedDayResult], failures: dict[str, str]):
        self.day, self.results, self.failures = day, results, failures
        total_count = len(results) + len(failures)
        super().__init__(f"daily {day}: {len(failures)} of {total_count} feed(s) failed: " + "; ".join(failures.values()))

    def __reduce__(self):
        # Prefect may pickle a flow's exception; the default reduce would call __init__ with the message only.
        return FeedsFailed, (self.day, self.results, self.failures)


@task(cache_policy=NO_CACHE, task_run_name="fetch-{feed_name}-{day}")
def fetch(feed_name: str, day: date) -> list[Payload]:
    """Every page of one feed-day, or FetchError naming feed, day, URL and status: nothing partial."""
    with open_feed(feed_name) as feed:
        payloads = feed.fetch(day)
    get_run_logger().info("fetched %s %s: %d payload(s), %d bytes", feed_name, day, len(payloads), sum(len(p.content) for p in payloads))
    return payloads


@flow(name="feed-day", flow_run_name="{feed_name}-{day}")
def feed_day(feed_name: str, day: date, lake_uri: str) -> FeedDayResult:
    """One feed's day: fetch it all first, then store, parse, validate and write it."""
    started = perf_counter()
    payloads = fetch(feed_name, day)
    fetched = perf_counter()
    commit = writes.CommitInfo("daily", run_id(), feed_name, (day,))
    report = load_payloads(Lake(lake_uri), payloads, commit, datetime.now(timezone.utc))
    loaded = perf_counter()
    get_run_logger().info("%s %s: fetched in %.2f s, loaded in %.2f s", feed_name, day, fetched - started, loaded - fetched)
    return FeedDayResult(feed_name, day, report, fetched - started, loaded - fetched, sum(len(p.content) for p in payloads))


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def _daily_run_name() -> str:
    # A scheduled run gives no day: it is named for the day it fetches, as a run given one is.
    return f"daily-{flow_run.parameters.get('day') or today_utc()}"


@flow(name="daily", flow_run_name=_daily_run_name)
def daily(day: date | None = None, feeds: list[str] = list(LIVE_FEEDS), lake_uri: str | None = None) -> dict[str, FeedDayResult]:
    """Every feed in `feeds` for `day` (default: today, UTC), each in its own feed-day subflow."""
    from flows.artifacts import publish_load_artifacts  # imports the lake's maintenance code: only flows need it

    day = day or today_utc()
    lake_uri = resolve_lake_uri(lake_uri)
    results: dict[str, FeedDayResult] = {}
    rejected: dict[str, LoadReport] = {}
    failures: dict[str, str] = {}
    for feed_name in feeds:
        # Called directly, not through return_state: a state read back from the API can lack its
        # result (MissingResult, seen under load), while a raised error always reaches us here.
        try:
            results[feed_name] = feed_day(feed_name, day, lake_uri)
        except BatchesRejected as error:  # the feed-day was fetched and stored, then held whole by a batch rule
            rejected[feed_name] = error.report
            failures[feed_name] = f"{feed_name} {day}: {error}"
        except Exception as error:
            failures[feed_name] = failure_message(feed_name, day, error)
        if feed_name in failures:
            get_run_logger().error("%s", failures[feed_name])
    reports = {name: result.report for name, result in results.items()} | rejected
    publish_load_artifacts("daily", f"daily {day}", reports, Lake(lake_uri), failures)
    if failures:
        raise FeedsFailed(day, results, failures)
    return results


def failure_message(feed_name: str, day: date, error: Exception) -> str:
    """The error as one line that names the feed-day (a FetchError already does, with URL and status)."""
    text = str(error) or type(error).__name__
    prefix = f"{feed_name} {day.isoformat()}"
    return text if text.startswith(prefix) else f"{prefix}: {type(error).__name__}: {text}"


def run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None
