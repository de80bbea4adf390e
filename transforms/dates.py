"""Which day a snapshot lists."""

from __future__ import annotations

import re
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


# A calendar date written YYYY-MM-DD, not part of a longer run of digits (`daily_papers_2024-03-12.json`).
NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def date_in_name(name: str) -> date | None:
    """The date a saved API answer's file name gives (`daily_papers_2024-03-12.json`, `2025-06-10.json`).

    None if the name has no YYYY-MM-DD; ValueError if what it has is no calendar date, or several
    different dates, since then the name does not say which list the file is.
    """
    found = set()
    for year, month, day in NAME_DATE.findall(name):
        try:
            found.add(date(int(year), int(month), int(day)))
        except ValueError:
            raise ValueError(f"{year}-{month}-{day} in the name is not a calendar date") from None
    if len(found) > 1:
        raise ValueError(f"the name holds several dates ({', '.join(d.isoformat() for d in sorted(found))})")
    return found.pop() if found else None


def resolve_listing_date(explicit: date | None, named: date | None) -> date | None:
    """A saved API answer's list date: its file name's date, else `--date`; None if neither gives one.

    Never the items' own dates: a list filed under D often holds papers published a day or more
    before D. A name and a `--date` that disagree are an error, not a choice to make silently.
    """
    if named is not None and explicit is not None and named != explicit:
        raise ValueError(f"the name says {named.isoformat()} but --date says {explicit.isoformat()}")
    return named or explicit
