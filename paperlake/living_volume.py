"""A living world at arXiv volume over years, built one day at a time (issue 14's benchmark).

`LivingWorld` builds every paper of its range up front, which is right for weeks and wrong for
ten years of cs.* (millions of papers). `VolumeWorld` answers the same questions (it is served by
the same replay server, and `hf_items`, `arxiv_entries`, `truth` mean the same) but makes a day's
papers only when a query needs them, from the day's own seeded generator, and keeps a few months
of days in a cache: memory is flat in the world's length, and a day is the same bytes whichever
order days are asked in.

What had to change to make a day independent of the rest of the range:
- arXiv ids number a month's submissions in order, so a paper's number is the month's first
  number plus the submissions of the month's earlier days (their counts are one draw each) plus
  its rank in its day;
- titles carry a method name made from the paper's id, so two papers never share one without
  a world-wide set of titles; titles and abstracts come from the paper's own generator
  (paperlake/living_volume_text.py), as varied as real ones at millions of papers;
- an HF list draws from the papers announced since the previous list's cut-off (03:00 UTC), so
  no paper is on two lists without remembering the lists before it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Iterator

from paperlake import living_volume_text as volume_text
from paperlake.living import FIRST_FIVE_DIGIT_DATE, LivingWorld, aware
from paperlake.living_arxiv import entry_element, read_query, sort_key
from paperlake.living_make import OUTSIDE_NUMBER_START, SECONDS_PER_DAY, arxiv_paper, hf_listed_at, listing_of, outside_listing
from paperlake.living_model import (
    MAIN_CATEGORIES,
    ArxivPaper,
    ArxivVersion,
    HfListing,
    WorldSettings,
    arxiv_count_for,
    count_for,
    dates_between,
    day_rng,
    day_start,
)

# A version comes at most 10 days after the previous one's announcement; three revisions and a
# withdrawal stay within this many days of v1: how far back a lastUpdatedDate query looks.
REVISION_SPAN_DAYS = 70
SYLLABLES = tuple(c + v for c in "bdfgklmnprstvz" for v in "aeiou")  # 70 syllables


class VolumeWorld(LivingWorld):
    def __init__(self, start_date: date, end_date: date, *, seed: int = 0, settings: WorldSettings = WorldSettings(), cached_day_count: int = 90):
        if end_date < start_date:
            raise ValueError(f"end {end_date} is before start {start_date}")
        if start_date < FIRST_FIVE_DIGIT_DATE + timedelta(days=62):
            raise ValueError(f"a world starts {FIRST_FIVE_DIGIT_DATE + timedelta(days=62)} or later (5-digit arXiv ids)")
        self.start_date, self.end_date, self.seed, self.settings = start_date, end_date, seed, settings
        self.hf_listings = _LazyListings(self)
        self._withdrawals_by_id = _LazyWithdrawals(self)
        self._cached_day_count = cached_day_count
        self._days: OrderedDict[date, tuple[ArxivPaper, ...]] = OrderedDict()
        self._counts: dict[date, int] = {}
        self._answers: OrderedDict[tuple, list] = OrderedDict()  # the last few queries' entries, for paging clients
        self._lock = threading.RLock()  # the replay server answers from several threads

    @property
    def arxiv_papers(self) -> tuple[ArxivPaper, ...]:
        """Every paper of the range: only for small worlds (truth), a volume world is built a day at a time."""
        return tuple(p for day in dates_between(self.start_date, self.end_date) for p in self.papers_submitted_on(day))

    # ---- arXiv, a day at a time ----

    def submission_count(self, day: date) -> int:
        if day not in self._counts:
            self._counts[day] = arxiv_count_for(day, self.start_date, self.settings, day_rng(self.seed, "arxiv", day))
        return self._counts[day]

    def papers_submitted_on(self, day: date) -> tuple[ArxivPaper, ...]:
        """The papers whose v1 was submitted on `day` (UTC), in id order; () outside the world."""
        if not self.start_date <= day <= self.end_date:
            return ()
        with self._lock:
            if day in self._days:
                self._days.move_to_end(day)
                return self._days[day]
            papers = self._make_day(day)
            self._days[day] = papers
            while len(self._days) > self._cached_day_count:
                self._days.popitem(last=False)
            return papers

    def _make_day(self, day: date) -> tuple[ArxivPaper, ...]:
        rng = day_rng(self.seed, "arxiv", day)
        count = arxiv_count_for(day, self.start_date, self.settings, rng)
        drafts = sorted((day_start(day) + timedelta(seconds=rng.randrange(SECONDS_PER_DAY)), index) for index in range(count))
        yymm = day.strftime("%y%m")
        month_start = day.replace(day=1)
        first_number = day_rng(self.seed, "ids", yymm).randint(1000, 4000) + sum(
            self.submission_count(d) for d in dates_between(max(month_start, self.start_date), day - timedelta(days=1))
        )
        papers = []
        for rank, (submitted_at, index) in enumerate(drafts):
            arxiv_id = f"{yymm}.{first_number + rank:05d}"
            paper = arxiv_paper(arxiv_id, submitted_at, day_rng(self.seed, "arxiv", day, index), self.settings, _NoTitles())
            papers.append(_with_own_text(paper, self.seed, papers[-1] if papers else None))
        return tuple(papers)

    def paper(self, arxiv_id: str) -> ArxivPaper | None:
        """The world's paper with this id (found from its month and number), or None."""
        yymm, _, number_text = arxiv_id.partition(".")
        if not (len(yymm) == 4 and number_text.isdigit()) or int(number_text) >= OUTSIDE_NUMBER_START:
            return None
        month_start = date(2000 + int(yymm[:2]), int(yymm[2:]), 1)
        number = day_rng(self.seed, "ids", yymm).randint(1000, 4000)
        for day in dates_between(max(month_start, self.start_date), min(_month_end(month_start), self.end_date)):
            if int(number_text) < number + self.submission_count(day):
                return next((p for p in self.papers_submitted_on(day) if p.arxiv_id == arxiv_id), None)
            number += self.submission_count(day)
        return None

    def arxiv_entries(self, query: str, at: datetime, *, sort_by: str | None = None, descending: bool = True) -> list:
        """As LivingWorld's, from the days the query's date ranges can reach; the last few answers are
        kept, since a client pages through one with the same query."""
        key = (query, aware(at), sort_by, descending)
        with self._lock:
            if key not in self._answers:
                self._answers[key] = self._entries(query, at, sort_by, descending)
                while len(self._answers) > 4:
                    self._answers.popitem(last=False)
            return self._answers[key]

    def _entries(self, query: str, at: datetime, sort_by: str | None, descending: bool) -> list:
        wanted = read_query(query)
        days = set(dates_between(self.start_date, self.end_date)) if not wanted.ranges else None
        for reach in wanted.ranges:
            last_date = (reach.end_at - timedelta(microseconds=1)).date()
            first_date = reach.start_at.date() - timedelta(days=REVISION_SPAN_DAYS if reach.field == "lastUpdatedDate" else 0)
            reached = set(dates_between(max(first_date, self.start_date), min(last_date, self.end_date))) if first_date <= last_date else set()
            days = reached if days is None else days & reached
        shown = [
            (paper, version) for day in sorted(days or ()) for paper in self.papers_submitted_on(day)
            if (version := paper.version_at(at)) and wanted.holds(paper, version)
        ]
        shown.sort(key=lambda pair: sort_key(*pair, sort_by), reverse=descending)
        return [entry_element(paper, version) for paper, version in shown]

    # ---- Hugging Face, a day at a time ----

    def listings_on(self, listing_date: date) -> tuple[HfListing, ...]:
        """`listing_date`'s HF list: papers announced since the previous list's cut-off, and older ones."""
        settings = self.settings
        rng = day_rng(self.seed, "hf", listing_date)
        cutoff_at = day_start(listing_date) + timedelta(hours=settings.hf_early_hours[0])
        pool = sorted(
            (
                p for day in dates_between(listing_date - timedelta(days=6), listing_date) for p in self.papers_submitted_on(day)
                if set(p.categories) & set(MAIN_CATEGORIES) and cutoff_at - timedelta(days=1) < p.versions[0].announced_at <= cutoff_at
            ),
            key=lambda p: p.arxiv_id,
        )
        # Older papers HF lists get ids of two months before, numbered by day: unused by the world's papers.
        outside_yymm = (listing_date.replace(day=1) - timedelta(days=32)).replace(day=1) - timedelta(days=1)
        listings = []
        for index in range(count_for(listing_date, settings.hf_weekday_count, settings.hf_weekend_count, rng)):
            listed_at = hf_listed_at(listing_date, rng, settings)
            if pool and rng.random() < settings.hf_arxiv_share:
                listings.append(listing_of(pool.pop(rng.randrange(len(pool))), listing_date, listed_at, rng))
            else:
                outside_id = f"{outside_yymm:%y%m}.{OUTSIDE_NUMBER_START + listing_date.day * 100 + index % 100:05d}"
                listing = outside_listing(outside_id, listing_date, listed_at, rng, _NoTitles())
                listings.append(_listing_with_own_text(listing, self.seed))
        return tuple(listings)


class _LazyListings(Mapping):
    """`world.hf_listings` as LivingWorld has it (date -> listings), made when asked."""

    def __init__(self, world: VolumeWorld):
        self._world = world

    def __getitem__(self, listing_date: date) -> tuple[HfListing, ...]:
        if not self._world.start_date <= listing_date <= self._world.end_date:
            raise KeyError(listing_date)
        return self._world.listings_on(listing_date)

    def __iter__(self) -> Iterator[date]:
        return iter(dates_between(self._world.start_date, self._world.end_date))

    def __len__(self) -> int:
        return (self._world.end_date - self._world.start_date).days + 1


class _LazyWithdrawals:
    """`world._withdrawals_by_id.get(arxiv_id)`: the withdrawal version of a withdrawn paper."""

    def __init__(self, world: VolumeWorld):
        self._world = world

    def get(self, arxiv_id: str) -> ArxivVersion | None:
        paper = self._world.paper(arxiv_id)
        return paper.versions[-1] if paper and paper.versions[-1].is_withdrawal else None


class _NoTitles(set):
    """unique_title's set of taken titles, always empty: the method name keeps titles apart instead."""

    def add(self, title: str) -> None:
        pass


def _with_own_text(paper: ArxivPaper, seed: int, previous: ArxivPaper | None = None) -> ArxivPaper:
    """The paper with a title and abstract of its own (living_volume_text), named after its id
    ("Vokemari: Robust Graph Attention for ..."); its versions' new titles and summaries follow.
    Now and then (RESUBMITTED_SHARE) it is `previous` sent again: its abstract, its title with a typo."""
    name = method_name(paper.arxiv_id)
    rng = volume_text.paper_rng(seed, paper.arxiv_id)
    title, summary = volume_text.title(rng, name), volume_text.summary(rng, name)
    if previous is not None and rng.random() < volume_text.RESUBMITTED_SHARE:
        title, summary = volume_text.with_typo(rng, previous.title), previous.versions[0].summary
    versions = tuple(
        replace(
            v,
            title=None if v.title is None else v.title.replace(paper.title, title, 1),
            summary=v.summary if v.is_withdrawal else v.summary.replace(paper.versions[0].summary, summary, 1),
        )
        for v in paper.versions
    )
    return replace(paper, title=title, versions=versions)


def _listing_with_own_text(listing: HfListing, seed: int) -> HfListing:
    """An HF paper from outside the world's range, with text of its own as the world's papers have."""
    name = method_name(listing.arxiv_id)
    rng = volume_text.paper_rng(seed, listing.arxiv_id)
    return replace(listing, title=volume_text.title(rng, name), summary=volume_text.summary(rng, name))


def method_name(arxiv_id: str) -> str:
    """Four syllables from the id's hash: 24 million names, so titles practically never repeat."""
    digest = hashlib.blake2b(arxiv_id.encode(), digest_size=8).digest()
    return "".join(SYLLABLES[b % len(SYLLABLES)] for b in digest[:4]).capitalize()


def _month_end(month_start: date) -> date:
    return (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
