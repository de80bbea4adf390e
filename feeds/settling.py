"""How a feed's days settle: a feed-day is provisional while its content can still change, final after.

Each live feed declares one `Settling` beside its code (its facts: when a day's list fills, how
long its counts move, when arXiv announces). Pure: the clock comes in as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


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
        if self.max_settle_days is not None and fetched_at >= _midnight(day) + timedelta(days=self.max_settle_days):
            return True
        if fetched_at < self.settles_at(day):
            return False
        return self.quiet_days == 0 or last_changed_at is None or fetched_at - last_changed_at >= timedelta(days=self.quiet_days)

    def newest_day(self, now: datetime) -> date:
        return now.astimezone(timezone.utc).date() - timedelta(days=self.newest_day_lag_days)


# Each feed's own facts (DESIGN.md, "Feeds are alive"); the feed modules declare these beside their code.
# hf_daily: a date's list fills through the day and the next morning, and upvotes and comments
#   move for about two weeks: final once 15 days old and unchanged for 2 days (or once 30 days old).
# arxiv: a day's submissions are announced that night, Friday's and the weekend's on Monday night
#   (Tuesday about 01:00 UTC), later around holidays; new versions come the same way: a week of margin.
DEFAULT_SETTLING = {
    "hf_daily": Settling(settle_days=15, quiet_days=2, max_settle_days=30),
    "arxiv": Settling(settle_days=7, newest_day_lag_days=1),
}
SETTLE_DAYS_ENV = {"hf_daily": "PAPERLAKE_HF_SETTLE_DAYS", "arxiv": "PAPERLAKE_ARXIV_SETTLE_DAYS"}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def settling_for(feed: str, environ=None) -> Settling:
    """The feed's Settling, with $PAPERLAKE_<FEED>_SETTLE_DAYS if set."""
    import os
    from dataclasses import replace

    environ = os.environ if environ is None else environ
    settling = DEFAULT_SETTLING[feed]
    raw = environ.get(SETTLE_DAYS_ENV[feed], "").strip()
    if raw:
        if not raw.isdigit():
            raise ValueError(f"${SETTLE_DAYS_ENV[feed]} must be a whole number of days, not {raw!r}")
        settling = replace(settling, settle_days=int(raw))
    return settling
