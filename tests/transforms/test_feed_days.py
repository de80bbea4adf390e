"""The life of a feed-day, walked through weeks of 06:00 UTC runs and outages by moving the clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest

from feeds.settling import Settling
from lake.schemas import FEED_DAYS
from transforms.feed_days import FINAL, PROVISIONAL, Observation, due_dates, final_through_date, observe

HF = Settling(settle_days=15)
ARXIV = Settling(settle_days=7, newest_day_lag_days=1)
START = date(2024, 3, 1)


def at_six(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc)


class Lake:
    """feed_days of one feed, kept in memory: what the flow reads and upserts."""

    def __init__(self, feed: str, settling: Settling):
        self.feed, self.settling = feed, settling
        self.rows = FEED_DAYS.empty_frame()
        self.fetches: list[tuple[date, date]] = []  # (run day, fetched day)

    def run(self, now: datetime, failing: set[date] = frozenset(), catchup_days: int = 45):
        plan = due_dates(self.feed, self.rows, self.settling, now, catchup_days)
        observations = []
        for day in plan.due_dates:
            self.fetches.append((now.date(), day))
            if day in failing:
                observations.append(Observation(self.feed, day, now, error=f"{self.feed} {day}: HTTP 503"))
            else:  # the payload changes every fetch until it settles, then stays
                version = min(now, self.settling.settles_at(day)).isoformat()
                observations.append(Observation(self.feed, day, now, (f"{day}@{version}",), row_count=10))
        previous = self.rows.filter(pl.col("snapshot_date").is_in(plan.due_dates))
        rows, changes = observe(previous, observations, self.settling)
        self.rows = pl.concat([self.rows.filter(~pl.col("snapshot_date").is_in(rows["snapshot_date"].to_list())), rows]).sort("snapshot_date")
        return plan, changes

    def status(self, day: date) -> str | None:
        found = self.rows.filter(pl.col("snapshot_date") == day)
        return found["status"].item() if found.height else None


def test_a_fresh_lake_starts_with_the_days_still_settling_and_today():
    plan = due_dates("hf_daily", FEED_DAYS.empty_frame(), HF, at_six(date(2024, 3, 20)))
    assert plan.due_dates[0] == date(2024, 3, 5) and plan.due_dates[-1] == date(2024, 3, 20) and len(plan.due_dates) == 16
    arxiv = due_dates("arxiv", FEED_DAYS.empty_frame(), ARXIV, at_six(date(2024, 3, 20)))
    assert (arxiv.due_dates[0], arxiv.due_dates[-1]) == (date(2024, 3, 12), date(2024, 3, 19))  # today is not announced yet


@pytest.mark.parametrize("feed, settling", [("hf_daily", HF), ("arxiv", ARXIV)])
def test_daily_runs_through_weeks_and_outages_leave_every_day_final_exactly_once(feed, settling):
    lake = Lake(feed, settling)
    outage = {START + timedelta(days=n) for n in (9, 10)} | {START + timedelta(days=n) for n in range(20, 30)}
    run_days = [START + timedelta(days=n) for n in range(70) if START + timedelta(days=n) not in outage]
    became_final: list[date] = []
    for run_day in run_days:
        _, changes = lake.run(at_six(run_day))
        became_final += [c.snapshot_date for c in changes if c.became_final]

    last_run = at_six(run_days[-1])
    settled = [d for d in lake.rows["snapshot_date"] if settling.is_final(d, last_run)]
    assert sorted(became_final) == sorted(settled) and len(set(became_final)) == len(became_final)
    # Every day from the first run's window to the newest day is known, none skipped by the outages.
    first_day = START - timedelta(days=settling.settle_days + settling.newest_day_lag_days)
    assert lake.rows["snapshot_date"].to_list() == [first_day + timedelta(days=n) for n in range((settling.newest_day(last_run) - first_day).days + 1)]
    # A final day holds the observation made after it settled, and is never fetched again.
    for day in settled:
        row = lake.rows.filter(pl.col("snapshot_date") == day).row(0, named=True)
        assert row["status"] == FINAL and row["snapshot_ids"] == [f"{day}@{settling.settles_at(day).isoformat()}"]
        assert max(run for run, fetched in lake.fetches if fetched == day) == row["final_at"].date()
    # Days inside the settle period are provisional, and each run fetched them.
    assert {lake.status(d) for d in lake.rows["snapshot_date"] if d not in settled} == {PROVISIONAL}
    assert final_through_date(lake.rows) == max(settled)


def test_the_run_after_a_long_outage_catches_up_and_names_the_days_past_its_bound():
    lake = Lake("hf_daily", HF)
    lake.run(at_six(START))
    plan, _ = lake.run(at_six(START + timedelta(days=40)), catchup_days=30)
    assert plan.due_dates[0] == START + timedelta(days=10) and plan.due_dates[-1] == START + timedelta(days=40)
    # The first run's oldest day (Feb 15) settled before it was fetched; the 24 after it were still open.
    assert lake.status(date(2024, 2, 15)) == FINAL
    assert plan.beyond_bound_dates == [date(2024, 2, 16) + timedelta(days=n) for n in range(24)]
    assert "24 day(s) not final yet, 2024-02-16..2024-03-10, are older than the catch-up bound of 30 days" in plan.bound_message
    assert "paperlake backfill --start 2024-02-16 --end 2024-03-10 --feeds hf_daily" in plan.bound_message


def test_a_failed_fetch_keeps_the_day_provisional_with_its_error_and_the_next_run_retries_it():
    lake = Lake("hf_daily", HF)
    broken = START + timedelta(days=3)
    lake.run(at_six(broken), failing={broken})
    row = lake.rows.filter(pl.col("snapshot_date") == broken).row(0, named=True)
    assert (row["status"], row["fetch_count"], row["last_error"]) == (PROVISIONAL, 0, f"hf_daily {broken}: HTTP 503")
    plan, changes = lake.run(at_six(broken + timedelta(days=1)))
    assert broken in plan.due_dates
    assert next(c.outcome for c in changes if c.snapshot_date == broken) == "new"
    assert lake.rows.filter(pl.col("snapshot_date") == broken)["last_error"].item() is None


def test_an_unchanged_refetch_counts_the_fetch_not_a_change_and_a_final_day_is_not_rewritten():
    day = START
    first, _ = observe(FEED_DAYS.empty_frame(), [Observation("hf_daily", day, at_six(day), ("a",), 3)], HF)
    again, changes = observe(first, [Observation("hf_daily", day, at_six(day) + timedelta(hours=1), ("a",), 3)], HF)
    row = again.row(0, named=True)
    assert (row["fetch_count"], row["change_count"], changes[0].outcome) == (2, 1, "unchanged")
    settled, changes = observe(again, [Observation("hf_daily", day, at_six(day + timedelta(days=15)), ("b",), 4)], HF)
    assert (settled["status"].item(), changes[0].became_final, settled["change_count"].item()) == (FINAL, True, 2)
    rerun, changes = observe(settled, [Observation("hf_daily", day, at_six(day + timedelta(days=40)), ("b",), 4)], HF)
    assert rerun.is_empty() and changes[0].outcome == "unchanged" and not changes[0].became_final


def test_a_day_whose_counts_keep_moving_past_its_settle_age_stays_provisional_until_quiet_or_too_old():
    quiet = Settling(settle_days=15, quiet_days=2, max_settle_days=30)
    day, rows = START, FEED_DAYS.empty_frame()
    statuses = []
    for offset in range(0, 31):  # the payload changes every day until day 20, then stays
        payload = f"p{min(offset, 20)}"
        rows, changes = observe(rows, [Observation("hf_daily", day, at_six(day + timedelta(days=offset)), (payload,), 5)], quiet)
        statuses.append((offset, changes[0].status))
        if changes[0].became_final:
            break
    assert statuses[-1] == (22, FINAL)  # changed on day 20, unchanged on 21 and 22: two quiet days
    assert {status for _, status in statuses[:-1]} == {PROVISIONAL}
    never_quiet = FEED_DAYS.empty_frame()
    for offset in range(0, 31):
        never_quiet, changes = observe(never_quiet, [Observation("hf_daily", day, at_six(day + timedelta(days=offset)), (f"p{offset}",), 5)], quiet)
    assert changes[0].became_final and changes[0].snapshot_date == day  # 30 days old: final whatever it does
