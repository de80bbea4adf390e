"""The life of a feed-day: which days a run must fetch, and what a fetch did to each day's record.

Pure: the feed's `Settling`, the `feed_days` rows and the clock come in as arguments, so a test can
walk a lake through weeks of runs and outages by moving `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from feeds.settling import Settling
from lake.schemas import FEED_DAYS

PROVISIONAL, FINAL = "provisional", "final"

# A run goes back at most this far; a longer outage is finished with `paperlake backfill`.
DEFAULT_CATCHUP_DAYS = 45


@dataclass(frozen=True)
class DuePlan:
    """What one run fetches of one feed."""

    feed: str
    newest_date: date
    due_dates: list[date]
    # Days not final yet but older than the catch-up bound: left alone, and said so.
    beyond_bound_dates: list[date] = field(default_factory=list)
    catchup_days: int = DEFAULT_CATCHUP_DAYS

    def describe(self) -> str:
        if not self.due_dates:
            return f"{self.feed}: nothing due (newest day with content: {self.newest_date})"
        return f"{self.feed}: {len(self.due_dates)} day(s) due, {self.due_dates[0]}..{self.due_dates[-1]}"

    @property
    def bound_message(self) -> str | None:
        if not self.beyond_bound_dates:
            return None
        first, last = self.beyond_bound_dates[0], self.beyond_bound_dates[-1]
        return (
            f"{self.feed}: {len(self.beyond_bound_dates)} day(s) not final yet, {first}..{last}, are older than the "
            f"catch-up bound of {self.catchup_days} days and were not fetched; run "
            f"`paperlake backfill --start {first} --end {last} --feeds {self.feed}` to fetch them"
        )


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def due_dates(
    feed: str, known: pl.DataFrame, settling: Settling, now: datetime, catchup_days: int = DEFAULT_CATCHUP_DAYS,
    landed_dates: list[date] | None = None,
) -> DuePlan:
    """Every day of `feed` not final yet, from the oldest unsettled one up to the newest that can have content.

    `known` holds the feed's `feed_days` rows (snapshot_date, status). A feed with none starts with the
    days still inside its settle period, or after the last day a lake written before feed_days landed
    (`landed_dates`). Days after the newest known one are due too: that is how a run catches up after
    an outage, down to `catchup_days` before the newest day.
    """
    newest = settling.newest_day(now)
    final = set(known.filter(pl.col("status") == FINAL)["snapshot_date"].to_list())
    known_dates = known["snapshot_date"].to_list()
    settling_start = newest - timedelta(days=settling.settle_days)
    if known_dates:
        unsettled = [d for d in known_dates if d not in final]
        start = min(unsettled + [max(known_dates) + timedelta(days=1)])
    elif landed_dates:
        start = min(max(landed_dates) + timedelta(days=1), settling_start)
    else:
        start = settling_start
    bound = newest - timedelta(days=catchup_days)
    open_dates = [d for d in day_range(start, newest) if d not in final] if start <= newest else []
    return DuePlan(
        feed=feed,
        newest_date=newest,
        due_dates=[d for d in open_dates if d >= bound],
        beyond_bound_dates=[d for d in open_dates if d < bound],
        catchup_days=catchup_days,
    )


@dataclass(frozen=True)
class Observation:
    """One attempt at one feed-day: the payloads it got (their snapshot ids), or why it failed."""

    feed: str
    snapshot_date: date
    fetched_at: datetime
    snapshot_ids: tuple[str, ...] | None = None  # None: the fetch failed
    row_count: int | None = None  # rows in those payloads, once loaded
    error: str | None = None  # a failed fetch, or a load that held the day (validation rejected it)

    @property
    def fetched(self) -> bool:
        return self.snapshot_ids is not None


@dataclass(frozen=True)
class DayChange:
    """What an observation did to a day's record, for the run's summary."""

    feed: str
    snapshot_date: date
    outcome: str  # new, changed, unchanged, failed
    status: str  # the day's status after it: provisional or final
    became_final: bool
    row_count: int | None
    error: str | None = None


def observe(previous: pl.DataFrame, observations: list[Observation], settling: Settling) -> tuple[pl.DataFrame, list[DayChange]]:
    """The new `feed_days` rows for the observed days (upsert them), and what changed.

    `previous` holds the current rows of those days (any columns of FEED_DAYS). A day becomes final
    when a fetch that landed finds it settled (Settling.is_final); a final day stays final. A failed attempt keeps
    the day as it was and records the error. A final day fetched again unchanged (a rerun of `run
    --date`) or failing is left as it is: its row is not rewritten.
    """
    by_date = {row["snapshot_date"]: row for row in previous.iter_rows(named=True)} if previous.height else {}
    rows, changes = [], []
    for seen in observations:
        row = dict(by_date.get(seen.snapshot_date) or _new_row(seen, settling))
        was_final = row["status"] == FINAL
        if not seen.fetched or seen.error:
            changes.append(DayChange(seen.feed, seen.snapshot_date, "failed", row["status"], False, row.get("row_count"), seen.error))
            if not was_final:
                rows.append({**row, "last_error": seen.error, "last_error_at": seen.fetched_at})
            continue
        before = set(row.get("snapshot_ids") or [])
        changed = set(seen.snapshot_ids) != before
        outcome = "new" if not row.get("fetch_count") else "changed" if changed else "unchanged"
        last_changed_at = seen.fetched_at if changed else row.get("last_changed_at")
        final_now = was_final or settling.is_final(seen.snapshot_date, seen.fetched_at, last_changed_at)
        row.update(
            status=FINAL if final_now else PROVISIONAL,
            first_fetched_at=row.get("first_fetched_at") or seen.fetched_at,
            last_fetched_at=seen.fetched_at,
            last_changed_at=last_changed_at,
            fetch_count=(row.get("fetch_count") or 0) + 1,
            change_count=(row.get("change_count") or 0) + int(changed),
            snapshot_ids=list(seen.snapshot_ids),
            row_count=seen.row_count if seen.row_count is not None else row.get("row_count"),
            final_at=row.get("final_at") or (seen.fetched_at if final_now else None),
            last_error=None,
            last_error_at=None,
        )
        if not (was_final and outcome == "unchanged"):
            rows.append(row)
        changes.append(DayChange(seen.feed, seen.snapshot_date, outcome, row["status"], final_now and not was_final, row["row_count"]))
    frame = pl.DataFrame(rows, schema=FEED_DAYS.polars_schema) if rows else FEED_DAYS.empty_frame()
    return frame.unique(list(FEED_DAYS.key), keep="last", maintain_order=True), changes


def _new_row(seen: Observation, settling: Settling) -> dict:
    return {
        "feed": seen.feed, "snapshot_date": seen.snapshot_date, "status": PROVISIONAL,
        "settles_at": settling.settles_at(seen.snapshot_date), "fetch_count": 0, "change_count": 0,
    }


def final_through_date(known: pl.DataFrame) -> date | None:
    """The last day up to which every known day of the feed is final."""
    if known.is_empty():
        return None
    ordered = known.sort("snapshot_date")
    open_rows = ordered.filter(pl.col("status") != FINAL)
    if open_rows.is_empty():
        return ordered["snapshot_date"].max()
    before = ordered.filter(pl.col("snapshot_date") < open_rows["snapshot_date"].min())
    return before["snapshot_date"].max() if before.height else None
