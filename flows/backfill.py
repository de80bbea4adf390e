"""`paperlake backfill`: a range of days of some feeds as one flow run, committed in batches, resumable.

    for each batch of days, oldest first:
        for each feed:
            fetch each of its days not landed yet ─► (a failing day is recorded; the others go on)
            once the feed's fetched days would pass MAX_LOAD_BYTES with one more batch like this one:
                load them together: store raw ─► parse ─► normalize ─► validate ─► write
                check in the lake which of them landed ─► move the progress
    load what each feed has left; fail at the end naming every feed-day that did not land

A load costs the same few commits per table and a few seconds of validation whatever its size, where
one load per day would cost them per day (and a papers MERGE rewrites the files it touches: see
DESIGN.md). So loads are as big as memory allows: part of a month of arXiv cs.* in 2025, two months
of it in 2016; a feed may also cap a load's days (the Hugging Face list: two months). What has landed
is read from the lake when the run starts, so a rerun fetches only the feed-days that are missing:
after a failure, run the same command again.

The terminal's progress bar listens in-process (`progress_listener`); the flow's parameters stay
plain JSON values so a deployment can run it too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from feeds.registry import LIVE_FEEDS, max_load_day_count, settling_of
from flows.artifacts import NEW_PAPER_ROW_LIMIT
from flows.backfill_progress import ProgressTracker
from flows.backfill_report import BackfillFailed, BackfillReport, BatchLoad, FeedDayOutcome
from flows.daily import run_id
from flows.feed_days import FetchedDays, fetch_days, load_and_record
from flows.reports import LoadReport
from lake import feed_days as lake_feed_days
from lake import progress as lake_progress
from lake import table_setup, writes
from lake.store import Lake
from settings import resolve_lake_uri

# Days fetched (and submitted to the task runner) together: the unit of fetching and of deciding to load.
DEFAULT_BATCH_DAY_COUNT = 30
# A load's memory follows its rows (parse, validation, the papers MERGE), and a month of arXiv cs.*
# grows every year: a feed's fetched days are loaded once one more batch would take them past this
# much raw payload, in parts of at most this much (a day is never split), so memory stays the same
# whatever the volume and the length, and small feeds are not loaded (and validated) month by month.
# A load of 63 MB of 2016 Atom peaked at 1.37 GB (the 1.5 GB target); 48 MB leaves room.
MAX_LOAD_BYTES = 48 * 2**20
# Data Docs are built for many loads at once (a site build costs about a second whatever it adds):
# the loads' gate results (a few a load, their rows dropped) wait until there are this many.
DOCS_RESULT_COUNT = 60

FeedDay = tuple[str, date]


@task(cache_policy=NO_CACHE)
def plan(lake: Lake, feeds: list[str], start_date: date, end_date: date) -> set[FeedDay]:
    """The feed-days of the range that are final already: this run skips them. Provisional days
    (still inside their settle period, or never fetched) are fetched, as a daily run would."""
    final = {
        (feed, day)
        for feed in feeds
        for day in lake_feed_days.final_dates(lake, feed, start_date, end_date)
    }
    total_count = len(feeds) * len(day_range(start_date, end_date))
    get_run_logger().info("%d of %d feed-day(s) already final in the lake", len(final), total_count)
    return final


# Fetches are submitted to the flow's task runner. One thread by default: one request at a time,
# as arXiv asks. `backfill.with_options(task_runner=DaskTaskRunner(...))` spreads them over a Dask
# cluster's processes or machines (README, "Running in production"); loads stay in the flow, one
# at a time, because Delta commits to one table do not run concurrently.
@flow(name="backfill", flow_run_name="backfill-{start_date}..{end_date}", task_runner=ThreadPoolTaskRunner(max_workers=1))
def backfill(
    start_date: date,
    end_date: date,
    feeds: list[str] | None = None,
    lake_uri: str | None = None,
    batch_day_count: int = DEFAULT_BATCH_DAY_COUNT,
    now: datetime | None = None,
) -> BackfillReport:
    """`now` stands in for the clock (it decides which days have settled); leave it out to use the real one."""
    from flows.artifacts import publish_load_artifacts

    feeds = check_feeds(feeds)
    days = day_range(start_date, end_date)
    if batch_day_count < 1:
        raise ValueError(f"batch_day_count must be at least 1, not {batch_day_count}")
    lake = Lake(resolve_lake_uri(lake_uri))
    versions_before = lake_progress.table_versions(lake)
    table_setup.ensure_tables(lake)
    final_before = plan(lake, feeds, start_date, end_date)
    report = BackfillReport(start_date, end_date, feeds)
    report.outcomes += [FeedDayOutcome(feed, day, "already") for feed in feeds for day in days if (feed, day) in final_before]
    tracker = ProgressTracker(len(feeds) * len(days), len(report.outcomes))
    pending = {feed_name: FetchedDays(feed_name) for feed_name in feeds}
    for batch_days in batches(days, batch_day_count):
        for feed_name in feeds:
            todo_days = [day for day in batch_days if (feed_name, day) not in final_before]
            if todo_days:
                batch = fetch_batch(feed_name, todo_days, tracker, now)
                add_days(pending[feed_name], batch)
                if load_due(pending[feed_name], batch):
                    load_pending(lake, pending.pop(feed_name), tracker, report, now)
                    pending[feed_name] = FetchedDays(feed_name)
    for fetched in pending.values():
        load_pending(lake, fetched, tracker, report, now)
    publish_waiting_docs(lake, report)
    report.commit_counts = commit_counts(versions_before, lake_progress.table_versions(lake))
    failures = {f"{o.feed} {o.day}": o.message for o in report.failed}
    publish_load_artifacts(
        "backfill", f"backfill {start_date}..{end_date}", load_reports(report), lake, failures, day_changes=report.changes,
        new_paper_count=report.new_paper_count,
    )
    get_run_logger().info("%s", report.describe())
    if report.failed:
        raise BackfillFailed(report)
    return report


def fetch_batch(feed_name: str, days: list[date], tracker: ProgressTracker, now: datetime | None) -> FetchedDays:
    """Fetch a batch's days of one feed, moving the progress as each comes in (or fails)."""
    return fetch_days(
        feed_name, days, now, on_fetched=lambda day: tracker.fetched(feed_name, day), on_failed=lambda day: tracker.fetch_failed(feed_name, day)
    )


def load_due(pending: FetchedDays, batch: FetchedDays) -> bool:
    """Whether one more batch like `batch` would take the feed's fetched days past a load's bytes or days."""
    most_days = max_load_day_count(pending.feed)
    day_count = len(pending.payloads) + len(pending.failures)
    return pending.byte_count + batch.byte_count > MAX_LOAD_BYTES or (
        most_days is not None and day_count + len(batch.payloads) + len(batch.failures) > most_days
    )


def add_days(pending: FetchedDays, batch: FetchedDays) -> None:
    pending.payloads.update(batch.payloads)
    pending.failures.update(batch.failures)
    pending.fetch_seconds.update(batch.fetch_seconds)


def load_pending(lake: Lake, fetched: FetchedDays, tracker: ProgressTracker, report: BackfillReport, now: datetime | None) -> None:
    """Load a feed's fetched days in one go, or in parts of MAX_LOAD_BYTES; record each day, move the progress."""
    if not (fetched.payloads or fetched.failures):
        return
    for part in by_size(fetched, MAX_LOAD_BYTES, max_load_day_count(fetched.feed)):
        load_part(lake, part, tracker, report, now)


def by_size(fetched: FetchedDays, max_byte_count: int, max_day_count: int | None = None) -> list[FetchedDays]:
    """`fetched` cut into runs of whole days holding at most `max_byte_count` of payload (a bigger day
    alone) and `max_day_count` days each; the failed days go with the first run, which records them."""
    parts = [FetchedDays(fetched.feed, failures=fetched.failures)]
    for day in sorted(fetched.payloads):
        size = sum(len(p.content) for p in fetched.payloads[day])
        full = max_day_count is not None and len(parts[-1].payloads) >= max_day_count
        if parts[-1].payloads and (full or parts[-1].byte_count + size > max_byte_count):
            parts.append(FetchedDays(fetched.feed))
        parts[-1].payloads[day] = fetched.payloads[day]
        parts[-1].fetch_seconds[day] = fetched.fetch_seconds.get(day, 0.0)
    return parts


def load_part(lake: Lake, fetched: FetchedDays, tracker: ProgressTracker, report: BackfillReport, now: datetime | None) -> None:
    feed_name = fetched.feed
    days = sorted(set(fetched.payloads) | set(fetched.failures))
    commit = writes.CommitInfo("backfill", run_id(), feed_name, tuple(days))
    loaded = load_and_record(lake, fetched, settling_of(feed_name), commit, now or datetime.now(timezone.utc), publish_docs=False)
    if loaded.report:
        # The run's artifact lists its first new papers; a load's ids come earliest first, so its first
        # ones are all it can add. Every id kept to the end: ten years' 3.85 M, 246 MB of Python strings.
        loaded.report.new_paper_ids = loaded.report.new_paper_ids[:NEW_PAPER_ROW_LIMIT]
    load = BatchLoad(feed_name, days, loaded.report, loaded.load_seconds)
    if fetched.payloads:
        report.loads.append(load)
        publish_waiting_docs(lake, report, DOCS_RESULT_COUNT)
    report.changes += loaded.changes
    landed_count = failed_count = 0
    for change in loaded.changes:
        failed = change.outcome == "failed"
        status = "failed" if failed else "unchanged" if change.outcome == "unchanged" else "landed"
        report.outcomes.append(FeedDayOutcome(
            feed_name, change.snapshot_date, status, (change.error or "") if failed else "",
            fetched.fetch_seconds.get(change.snapshot_date, 0.0),
            sum(len(p.content) for p in fetched.payloads.get(change.snapshot_date, [])),
        ))
        if change.snapshot_date in fetched.payloads:
            landed_count, failed_count = landed_count + (not failed), failed_count + failed
    if fetched.payloads:
        tracker.loaded(load, landed_count, failed_count)


def publish_waiting_docs(lake: Lake, report: BackfillReport, at_least: int = 1) -> None:
    """Data Docs for the loads whose gate results wait, once there are `at_least` results."""
    from flows.write_steps import publish_loads_validation

    waiting = [load.report for load in report.loads if load.report and load.report.gate_results]
    if sum(len(r.gate_results) for r in waiting) >= at_least:
        publish_loads_validation(lake, waiting)


def load_reports(report: BackfillReport) -> dict[str, LoadReport]:
    return {load.label: load.report for load in report.loads if load.report}


def commit_counts(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after}


def check_feeds(feeds: list[str] | None) -> list[str]:
    names = list(feeds or LIVE_FEEDS)
    unknown = [name for name in names if name not in LIVE_FEEDS]
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}; the live feeds are: {', '.join(LIVE_FEEDS)}")
    return names


def day_range(start_date: date, end_date: date) -> list[date]:
    if end_date < start_date:
        raise ValueError(f"the range ends ({end_date}) before it starts ({start_date})")
    return [start_date + timedelta(days=n) for n in range((end_date - start_date).days + 1)]


def batches(days: list[date], size: int) -> list[list[date]]:
    return [days[i : i + size] for i in range(0, len(days), size)]
