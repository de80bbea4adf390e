"""`paperlake run`: every configured feed for one day, each feed on its own.

A feed that fails (after its HTTP retries) commits nothing for its day and fails its own subflow
run; the other feeds still land, and the daily run then fails naming the feeds that did not.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from feeds.base import Payload
from feeds.registry import LIVE_FEEDS, open_feed
from flows.pipeline import load_payloads
from flows.reports import LoadReport
from lake import writes
from lake.store import Lake
from paperlake.config import resolve_lake_uri


class FeedsFailed(RuntimeError):
    pass


@task(cache_policy=NO_CACHE)
def fetch(feed_name: str, day: date) -> list[Payload]:
    with open_feed(feed_name) as feed:
        payloads = feed.fetch(day)
    get_run_logger().info("fetched %s %s: %d payload(s), %d bytes", feed_name, day, len(payloads), sum(len(p.content) for p in payloads))
    return payloads


@flow(name="feed-day", flow_run_name="{feed_name}-{day}")
def feed_day(feed_name: str, day: date, lake_uri: str) -> LoadReport:
    """One feed's day: fetch it all (every page) first, then store, parse and write."""
    payloads = fetch(feed_name, day)
    commit = writes.CommitInfo("daily", _run_id(), feed_name, (day,))
    return load_payloads(Lake(lake_uri), payloads, commit, datetime.now(timezone.utc))


@flow(name="daily", flow_run_name="daily-{day}")
def daily(day: date, feeds: list[str] = list(LIVE_FEEDS), lake_uri: str | None = None) -> dict[str, LoadReport]:
    lake_uri = resolve_lake_uri(lake_uri)
    logger = get_run_logger()
    reports, failures = {}, {}
    for feed_name in feeds:
        state = feed_day(feed_name, day, lake_uri, return_state=True)
        if state.is_completed():
            reports[feed_name] = state.result()
        else:
            failures[feed_name] = _failure_message(state)
            logger.error("%s %s failed, nothing committed for it: %s", feed_name, day, failures[feed_name])
    if failures:
        raise FeedsFailed(f"daily {day}: {len(failures)} of {len(feeds)} feed(s) failed: " + "; ".join(failures.values()))
    return reports


def _failure_message(state) -> str:
    try:
        state.result()
    except Exception as err:  # the feed's own error: FetchError names feed, date, URL and status
        return str(err)
    return state.message or state.name


def _run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None
