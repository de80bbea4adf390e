"""How a feed's days settle: a feed-day is provisional while its content can change, final after.

Each live feed declares one `Settling` beside its code (hf_daily.SETTLING, arxiv.SETTLING) and lets
an environment variable override the settle period in its from_env(); the methods here are pure
(the caller passes the clock's reading), so flows, status and tests agree on one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Mapping


@dataclass(frozen=True)
class Settling:
    """A day D is final once fetched at or after D 00:00 UTC + settle_days; the newest day that can
    have content at `now` is now's UTC date minus newest_day_lag_days."""

    settle_days: int
    newest_day_lag_days: int = 0

    def __post_init__(self) -> None:
        if self.settle_days < 0 or self.newest_day_lag_days < 0:
            raise ValueError(f"settle_days and newest_day_lag_days must be >= 0, not {self.settle_days}, {self.newest_day_lag_days}")

    def settles_at(self, day: date) -> datetime:
        """The moment (UTC) from which a fetch of `day` is final."""
        return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(days=self.settle_days)

    def is_final(self, day: date, fetched_at: datetime) -> bool:
        """True if a fetch made at `fetched_at` (a naive time is taken as UTC) saw `day` settled."""
        return _utc(fetched_at) >= self.settles_at(day)

    def newest_day(self, now: datetime) -> date:
        """The newest day that can have content at `now` (a naive time is taken as UTC)."""
        return _utc(now).date() - timedelta(days=self.newest_day_lag_days)


def settling_from_env(default: Settling, environ: Mapping[str, str], settle_days_env: str) -> Settling:
    """`default` with $`settle_days_env` (a whole number of days) if set; called from the feeds' from_env()."""
    raw = environ.get(settle_days_env, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"${settle_days_env} must be a whole number of days (0 or more), not {raw!r}")
    return replace(default, settle_days=int(raw))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
