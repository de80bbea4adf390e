"""The living replay world's vocabulary: its settings, papers and listings, the truth, and the two clocks
that drive it (arXiv's announcement schedule and the growth of HF counts). Pure: no I/O, no wall clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
CUTOFF_HOUR_ET = 14  # submissions before 14:00 Eastern, Monday to Friday, make that day's announcement
ANNOUNCE_HOUR_ET = 20  # announcements go out at 20:00 Eastern, Sunday to Thursday
FRIDAY, SATURDAY = 4, 5
MAIN_CATEGORIES = ("cs.LG", "cs.CV", "cs.CL", "cs.AI")
CROSS_CATEGORIES = ("stat.ML", "cs.RO", "cs.IR", "eess.IV")
OTHER_CATEGORIES = ("math.OC", "physics.optics", "q-bio.NC")  # papers the default query must not return


@dataclass(frozen=True)
class WorldSettings:
    """Everything that shapes the world besides its seed and dates; defaults keep a 6-week world small."""

    hf_weekday_count: tuple[int, int] = (5, 15)  # papers on a weekday's list, inclusive range
    hf_weekend_count: tuple[int, int] = (0, 3)
    hf_us_hours: tuple[int, int] = (13, 24)  # most papers are listed in US hours, UTC [start, end)
    hf_early_hours: tuple[int, int] = (3, 13)  # a few in the (European) morning, some before a 06:00 run
    hf_early_share: float = 0.1
    hf_next_morning_share: float = 0.15  # listed under D on D+1, before the hour below (UTC)
    hf_next_morning_until_hour: int = 10
    hf_arxiv_share: float = 0.9  # HF papers drawn from this world's arXiv papers; the rest are older ids
    hf_lookback_days: int = 5  # an HF paper was announced on arXiv at most this many days before its list
    count_growth_days: float = 14.0  # upvotes and comments grow this long after listing, then stay fixed
    arxiv_weekday_count: tuple[int, int] = (10, 30)
    arxiv_weekend_count: tuple[int, int] = (2, 6)
    yearly_growth: float = 1.0  # arXiv volume multiplies by this each year from the world's first day (1.2: 20 % a year)
    arxiv_other_share: float = 0.1  # submissions only in OTHER_CATEGORIES (a category filter must drop them)
    revision_share: float = 0.33  # papers that get a v2
    third_version_share: float = 0.3  # of those, the ones that also get a v3
    withdrawal_share: float = 0.03  # papers whose last version is a withdrawal notice
    revision_delay_days: tuple[float, float] = (1.0, 10.0)  # after the previous version's announcement
    retitle_share: float = 0.1  # new versions that change the title (the HF list keeps the old one)
    holidays: tuple[date, ...] = ()  # Eastern dates with no arXiv cutoff (the day's submissions roll over)
    throttle_share: float = 0.02  # requests answered 429 (never twice in a row for one request)
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        # Fail here, not with a puzzling randrange() error deep in the build.
        ranges = ("hf_weekday_count", "hf_weekend_count", "hf_us_hours", "hf_early_hours", "arxiv_weekday_count",
                  "arxiv_weekend_count", "revision_delay_days")
        bad = [name for name in ranges if not 0 <= getattr(self, name)[0] <= getattr(self, name)[1]]
        bad += [name for name in ("hf_us_hours", "hf_early_hours") if not getattr(self, name)[0] < getattr(self, name)[1] <= 24]
        bad += [name for name, value in vars(self).items() if name.endswith("_share") and not 0 <= value <= 1]
        if self.yearly_growth <= 0:
            bad.append("yearly_growth")
        if not 1 <= self.hf_next_morning_until_hour <= 24:
            bad.append("hf_next_morning_until_hour")
        if bad:
            raise ValueError(f"WorldSettings: out of range: {', '.join(bad)}")


@dataclass(frozen=True)
class ArxivVersion:
    number: int
    submitted_at: datetime
    announced_at: datetime
    summary: str
    comment: str | None
    is_withdrawal: bool = False
    title: str | None = None  # a new title this version brought; None: the previous one


@dataclass(frozen=True)
class ArxivPaper:
    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    primary_category: str
    categories: tuple[str, ...]
    versions: tuple[ArxivVersion, ...]

    @property
    def submitted_at(self) -> datetime:
        return self.versions[0].submitted_at

    def title_of(self, version: ArxivVersion) -> str:
        """The title `version` shows: the latest one given up to it."""
        return next((v.title for v in reversed(self.versions[: version.number]) if v.title), self.title)

    def version_at(self, at: datetime) -> ArxivVersion | None:
        """The latest version announced by `at`; None while v1 is not announced."""
        announced = [v for v in self.versions if v.announced_at <= at]
        return announced[-1] if announced else None


@dataclass(frozen=True)
class HfListing:
    """One paper on one date's HF list; counts at `at` follow from the settled ones and the growth curve."""

    listing_date: date
    listed_at: datetime
    arxiv_id: str
    title: str
    summary: str
    authors: tuple[str, ...]
    arxiv_published_at: datetime
    settled_upvote_count: int
    settled_comment_count: int
    github_repo: str | None
    ai_keywords: tuple[str, ...]


@dataclass(frozen=True)
class HfPaperTruth:
    arxiv_id: str
    listing_date: date
    upvote_count: int  # as of `at`; equal to the settled count once `settled`
    comment_count: int
    settled: bool


@dataclass(frozen=True)
class ArxivPaperTruth:
    arxiv_id: str
    version: int  # the latest version announced by `at`
    v1_date: date  # UTC date of v1's submission: the submittedDate feed-day it belongs to
    updated_at: datetime  # that version's submission time
    categories: tuple[str, ...]
    withdrawn: bool


@dataclass(frozen=True)
class WorldTruth:
    """What a perfect observer knows at `at`."""

    at: datetime
    hf_lists: dict[date, tuple[str, ...]]  # every date of the range up to `at`: arXiv ids listed by `at`
    hf_papers: dict[str, HfPaperTruth]
    arxiv_papers: dict[str, ArxivPaperTruth]  # announced by `at`, in the categories asked for


def announced_at(submitted_at: datetime, holidays: Iterable[date] = ()) -> datetime:
    """When arXiv announces a submission: the next 14:00 ET weekday cutoff, announced 20:00 ET that day,
    or on Sunday for Friday's cutoff (so Friday-afternoon and weekend submissions go out Monday evening)."""
    local_at = submitted_at.astimezone(EASTERN)
    cutoff_date = local_at.date() + timedelta(days=0 if local_at.hour < CUTOFF_HOUR_ET else 1)
    holiday_dates = set(holidays)
    while cutoff_date.weekday() >= SATURDAY or cutoff_date in holiday_dates:
        cutoff_date += timedelta(days=1)
    announce_date = cutoff_date + timedelta(days=2 if cutoff_date.weekday() == FRIDAY else 0)
    return datetime.combine(announce_date, time(ANNOUNCE_HOUR_ET), tzinfo=EASTERN).astimezone(UTC)


def grown_count(settled_count: int, listed_at: datetime, at: datetime, growth_days: float) -> int:
    """A count `at`: 0 at listing, fast at first then slower, exactly `settled_count` after growth_days."""
    elapsed_share = (at - listed_at) / timedelta(days=growth_days) if growth_days > 0 else 1.0
    if elapsed_share >= 1:
        return settled_count
    share = max(0.0, elapsed_share)
    return int(settled_count * (1 - (1 - share) ** 3))


def dates_between(start_date: date, end_date: date) -> list[date]:
    return [start_date + timedelta(days=n) for n in range((end_date - start_date).days + 1)]


def day_rng(seed: int, *parts: object) -> random.Random:
    # A string seed is hashed with sha512 by `random`: stable across processes and PYTHONHASHSEED.
    return random.Random(":".join(map(str, (seed, *parts))))


def hf_paper_truth(listing: HfListing, at: datetime, growth_days: float) -> HfPaperTruth:
    return HfPaperTruth(
        listing.arxiv_id,
        listing.listing_date,
        grown_count(listing.settled_upvote_count, listing.listed_at, at, growth_days),
        grown_count(listing.settled_comment_count, listing.listed_at, at, growth_days),
        at >= listing.listed_at + timedelta(days=growth_days),
    )


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def hf_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def arxiv_count_for(day: date, start_date: date, settings: WorldSettings, rng: random.Random) -> int:
    """How many submissions `day` gets: the day's range, grown by `yearly_growth` since `start_date`."""
    growth = settings.yearly_growth ** ((day - start_date).days / 365.25)
    weekday = tuple(round(n * growth) for n in settings.arxiv_weekday_count)
    weekend = tuple(round(n * growth) for n in settings.arxiv_weekend_count)
    return count_for(day, weekday, weekend, rng)


def count_for(day: date, weekday_range: tuple[int, int], weekend_range: tuple[int, int], rng: random.Random) -> int:
    low, high = weekend_range if day.weekday() >= SATURDAY else weekday_range
    return rng.randint(low, high) if high > 0 else 0
