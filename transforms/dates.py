"""Which day a snapshot lists."""

from __future__ import annotations

from datetime import date, timedelta

# A page is often saved in another time zone than the one it was dated in, so a date line up to
# a day after the save date still means this year.
SAVE_CLOCK_SLACK = timedelta(days=1)


def infer_year(month: int, day: int, saved_on: date) -> date:
    """The latest `month day` on or before the day the page was saved (`Dec 31` saved 2 Jan -> last year)."""
    for year in range(saved_on.year, saved_on.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # Feb 29 in a non-leap year: look further back
            continue
        if candidate <= saved_on + SAVE_CLOCK_SLACK:
            return candidate
    raise ValueError(f"no valid date for month {month} day {day} before {saved_on}")


def resolve_snapshot_date(explicit: date | None, month_day: tuple[int, int] | None, saved_on: date) -> date:
    """`--date` if given, else the page's date line with its year inferred, else the save date."""
    if explicit is not None:
        return explicit
    if month_day is not None:
        return infer_year(*month_day, saved_on)
    return saved_on
