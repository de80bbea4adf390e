"""`paperlake run`: every configured feed, fetching whatever is due, each feed on its own.

    daily ─┬─ feed hf_daily: plan due days ─► fetch each ─► load them together ─► record each day
           ├─ feed arxiv:    plan due days ─► ...
           └─ digest: each watch's papers new to it ─► digest-NAME artifact ─► its notification block

Without a day, a run fetches for each feed every day that is not final yet, from the oldest
unsettled one up to the newest that can have content (transforms/feed_days.py), so the run after
an outage catches up by itself. With a day, it fetches exactly that day. A failing day commits
nothing for itself; the other days and feeds still land, and the run then fails naming them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from feeds.registry import LIVE_FEEDS, settling_of
from flows.digests import digest
from flows.feed_days import FetchedDays, LoadedDays, fetch_days, load_and_record
from flows.reports import LoadReport
from flows.write_steps import publish_loads_validation
from lake import feed_days as lake_feed_days
from lake import writes
from lake.store import Lake
from settings import resolve_lake_uri
from transforms.feed_days import DEFAULT_CATCHUP_DAYS, DayChange, DuePlan, due_dates

CATCHUP_DAYS_ENV = "PAPERLAKE_CATCHUP_DAYS"


@dataclass
class FeedRun:
    """What one run did for one feed: the days it planned, fetched, loaded and recorded."""

    feed: str
    plan: DuePlan | None
    fetched: FetchedDays
    loaded: LoadedDays

    @property
    def report(self) -> LoadReport:
        return self.loaded.report or LoadReport()

    @property
    def days(self) -> list[date]:
        return sorted(set(self.fetched.payloads) | set(self.fetched.failures))

    @property
    def day(self) -> date | None:
        return self.days[-1] if self.days else None

    @property
    def changes(self) -> list[DayChange]:
        return self.loaded.changes

    @property
    def fetch_seconds(self) -> float:
        return sum(self.fetched.fetch_seconds.values())

    @property
    def load_seconds(self) -> float:
        return self.loaded.load_seconds

    @property
    def byte_count(self) -> int:
        return self.fetched.byte_count

    @property
    def failures(self) -> list[str]:
        return [c.error for c in self.changes if c.outcome == "failed" and c.error]


class FeedsFailed(RuntimeError):
    """Some feed-days of a run did not land; `results` holds every feed's run, `failures` the messages."""

    def __init__(self, label: str, results: dict[str, FeedRun], failures: dict[str, str]):
        self.label, self.results, self.failures = label, results, failures
        super().__init__(f"daily {label}: {len(failures)} of {len(results)} feed(s) failed: " + "; ".join(failures.values()))

    def __reduce__(self):
        # Prefect may pickle a flow's exception; the default reduce would call __init__ with the message only.
        return FeedsFailed, (self.label, self.results, self.failures)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def today_utc() -> date:
    return utc_now().date()


def _daily_run_name() -> str:
    # A scheduled run gives no day: it is named for the day it runs, as a run given one is.
    return f"daily-{flow_run.parameters.get('day') or today_utc()}"


@flow(name="daily", flow_run_name=_daily_run_name)
def daily(
    day: date | None = None, feeds: list[str] = list(LIVE_FEEDS), lake_uri: str | None = None, now: datetime | None = None
) -> dict[str, FeedRun]:
    """Each feed in `feeds`: its due days (or exactly `day`), fetched, loaded and recorded.

    `now` stands in for the clock; leave it out (scheduled runs do) to use the real one.
    """
    from flows.artifacts import publish_load_artifacts  # imports the lake's maintenance code: only flows need it

    clock_now = now or utc_now()
    lake = Lake(resolve_lake_uri(lake_uri))
    # Called directly, not through return_state: a state read back from the API can lack its result
    # (MissingResult, seen under load), while a raised error always reaches us here.
    results = {feed_name: feed_run(feed_name, lake.uri, day, clock_now, now is not None, _span(day, clock_now)) for feed_name in feeds}
    publish_loads_validation(lake, [r.loaded.report for r in results.values()])  # one Data Docs build for every feed's load
    failures = {name: "; ".join(result.failures) for name, result in results.items() if result.failures}
    label = str(day) if day else f"{clock_now:%Y-%m-%d %H:%M} UTC"
    notes = [r.plan.bound_message for r in results.values() if r.plan and r.plan.bound_message]
    publish_load_artifacts(
        "daily", f"daily {label}", {name: r.report for name, r in results.items()}, lake, failures,
        day_changes=[c for r in results.values() for c in r.changes], notes=notes,
    )
    digest(lake.uri, clock_now, run_id())  # each watch's new papers: artifact digest-NAME, and its notification
    if failures:
        raise FeedsFailed(label, results, failures)
    return results


def _span(day: date | None, now: datetime) -> str:
    return str(day) if day else f"due-{now:%Y-%m-%d}"


@flow(name="feed", flow_run_name="{feed_name}-{span}")
def feed_run(feed_name: str, lake_uri: str, day: date | None, now: datetime, injected_clock: bool, span: str) -> FeedRun:
    """One feed of a run, its own run in the Prefect UI (`hf_daily-2024-03-11`, `arxiv-due-2024-03-12`):
    plan the due days (or take `day`), fetch, load, record."""
    lake = Lake(lake_uri)
    logger = get_run_logger()
    settling = settling_of(feed_name)
    plan = None if day else plan_days(lake, feed_name, now)
    days = [day] if day else plan.due_dates
    if plan:
        logger.info("%s", plan.describe())
        if plan.bound_message:
            logger.warning("%s", plan.bound_message)
    fetched = fetch_days(feed_name, days, now if injected_clock else None)
    commit = writes.CommitInfo("daily", run_id(), feed_name, tuple(days))
    loaded = load_and_record(lake, fetched, settling, commit, now, publish_docs=False)
    for change in loaded.changes:
        if change.outcome == "failed":
            logger.error("%s", change.error)
    final_count = sum(c.became_final for c in loaded.changes)
    changed_count = sum(c.outcome in ("new", "changed") for c in loaded.changes)
    logger.info("%s: %d day(s) fetched, %d changed, %d became final", feed_name, len(fetched.payloads), changed_count, final_count)
    return FeedRun(feed_name, plan, fetched, loaded)


def plan_days(lake: Lake, feed_name: str, now: datetime) -> DuePlan:
    known = lake_feed_days.known_days(lake, feed_name)
    landed = lake_feed_days.landed_dates(lake, feed_name) if known.is_empty() else None
    return due_dates(feed_name, known, settling_of(feed_name), now, catchup_days(), landed)


def catchup_days() -> int:
    raw = os.environ.get(CATCHUP_DAYS_ENV, "").strip()
    if not raw:
        return DEFAULT_CATCHUP_DAYS
    if not raw.isdigit():
        raise ValueError(f"${CATCHUP_DAYS_ENV} must be a whole number of days, not {raw!r}")
    return int(raw)


def run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None
