"""How a feed's days settle: a feed-day is provisional while its content can still change, final after.

Each live feed declares one `Settling` beside its code (hf_daily.SETTLING, arxiv.SETTLING: when a
day's list fills, how long its counts move, when arXiv announces) and lets an environment variable
override the settle period in its from_env(). Pure: the clock comes in as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping


@dataclass(frozen=True)
class Settling:
    """When a feed's day stops changing.

    `settle_days`: no fetch before the day's start plus this many days is final.
    `quiet_days`: and the day's payload must not have changed for this long either (0: the age
      alone decides), so counts that move a little longer than usual are still waited for...
    `max_settle_days`: ...but not past this age, where a day is final whatever it does.
    `newest_day_lag_days`: how many days before today the newest day that can have content is.
    """

    settle_days: int
    newest_day_lag_days: int = 0
    quiet_days: int = 0
    max_settle_days: int | None = None

    def __post_init__(self) -> None:
        if min(self.settle_days, self.newest_day_lag_days, self.quiet_days) < 0:
            raise ValueError(f"settle_days, quiet_days and newest_day_lag_days are 0 or more, not {self}")
        if self.max_settle_days is not None and self.max_settle_days < self.settle_days:
            raise ValueError(f"max_settle_days ({self.max_settle_days}) is less than settle_days ({self.settle_days})")

    def settles_at(self, day: date) -> datetime:
        """The earliest moment a fetch of `day` can be its final observation."""
        return _midnight(day) + timedelta(days=self.settle_days)

    def is_final(self, day: date, fetched_at: datetime, last_changed_at: datetime | None = None) -> bool:
        """A fetch at `fetched_at` (after which the payload last changed at `last_changed_at`) saw the day as it will stay."""
        fetched_at = _utc(fetched_at)
        if self.max_settle_days is not None and fetched_at >= _midnight(day) + timedelta(days=self.max_settle_days):
            return True
        if fetched_at < self.settles_at(day):
            return False
        return self.quiet_days == 0 or last_changed_at is None or fetched_at - last_changed_at >= timedelta(days=self.quiet_days)

    def newest_day(self, now: datetime) -> date:
        """The newest day that can have content at `now`."""
        return _utc(now).date() - timedelta(days=self.newest_day_lag_days)



def settling_from_env(default: Settling, environ: Mapping[str, str], settle_days_env: str) -> Settling:
    """`default` with $`settle_days_env` (a whole number of days) if set; called from the feeds' from_env()."""
    raw = environ.get(settle_days_env, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"${settle_days_env} must be a whole number of days (0 or more), not {raw!r}")
    days = int(raw)
    longest = None if default.max_settle_days is None else max(default.max_settle_days, days)
    return replace(default, settle_days=days, max_settle_days=longest)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _utc(moment: datetime) -> datetime:
    """A naive time is taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
