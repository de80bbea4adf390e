"""A living, clock-driven world of feeds: what the Hugging Face and arXiv APIs answer at any moment.

The sample replay serves finished days; the real feeds are alive (DESIGN.md, "Feeds are alive"):
an HF list fills through its day and the next morning and its counts grow for about two weeks; an
arXiv submission is visible only once announced, and new versions come days later. `LivingWorld`
is that behaviour as a pure, seeded model over a date range: nothing reads the wall clock, every
query takes `at` (an aware UTC datetime), and the same seed gives the same world byte for byte.

    world = LivingWorld(date(2024, 3, 4), date(2024, 4, 14), seed=7)
    world.hf_items(date(2024, 3, 11), at)           # the JSON items `?date=2024-03-11` answers at `at`
    world.arxiv_entries("(cat:cs.LG) AND submittedDate:[...]", at)   # the Atom entries arXiv answers
    world.truth(at)                                  # what a perfect observer knows at `at`

`paperlake.replay` serves it over HTTP (`ReplayServer(world=..., clock=...)`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable

from paperlake import living_text as text
from paperlake.living_arxiv import matching_entries
from paperlake.living_make import arxiv_papers_between, hf_listings_between
from paperlake.living_model import (
    MAIN_CATEGORIES,
    ArxivPaper,
    ArxivPaperTruth,
    HfListing,
    WorldSettings,
    WorldTruth,
    announced_at,
    day_start,
    grown_count,
    hf_paper_truth,
    hf_timestamp,
)

__all__ = ["LivingWorld", "WorldSettings", "WorldTruth"]

FIRST_FIVE_DIGIT_DATE = date(2015, 1, 1)  # arXiv ids have had five digits after the dot since 1501


class LivingWorld:
    def __init__(self, start_date: date, end_date: date, *, seed: int = 0, settings: WorldSettings = WorldSettings()):
        if end_date < start_date:
            raise ValueError(f"end {end_date} is before start {start_date}")
        if start_date < FIRST_FIVE_DIGIT_DATE + timedelta(days=62):  # older HF papers get ids two months back
            raise ValueError(f"a world starts {FIRST_FIVE_DIGIT_DATE + timedelta(days=62)} or later (5-digit arXiv ids)")
        self.start_date, self.end_date, self.seed, self.settings = start_date, end_date, seed, settings
        self.arxiv_papers: tuple[ArxivPaper, ...] = tuple(arxiv_papers_between(start_date, end_date, seed, settings))
        self.hf_listings: dict[date, tuple[HfListing, ...]] = hf_listings_between(
            self.arxiv_papers, start_date, end_date, seed, settings
        )
        self._withdrawals_by_id = {p.arxiv_id: p.versions[-1] for p in self.arxiv_papers if p.versions[-1].is_withdrawal}

    # ---- Hugging Face ----

    def hf_items(self, listing_date: date, at: datetime) -> list[dict]:
        """Exactly the JSON items `GET /api/daily_papers?date=listing_date` answers at `at`, in the site's order."""
        at = aware(at)
        listed = [listing for listing in self.hf_listings.get(listing_date, ()) if listing.listed_at <= at]
        items = [self._hf_item(listing, at) for listing in listed]
        return sorted(items, key=lambda item: (-item["paper"]["upvotes"], item["paper"]["id"]))

    def _hf_item(self, listing: HfListing, at: datetime) -> dict:
        growth_days = self.settings.count_growth_days
        paper = {
            "id": listing.arxiv_id,
            "authors": [{"_id": text.hex_id(listing.arxiv_id, name), "name": name, "hidden": False} for name in listing.authors],
            "publishedAt": hf_timestamp(listing.arxiv_published_at),
            "title": listing.title,
            "summary": listing.summary,
            "upvotes": grown_count(listing.settled_upvote_count, listing.listed_at, at, growth_days),
            "discussionId": text.hex_id("discussion", listing.arxiv_id),
        }
        if listing.github_repo:
            paper["githubRepo"] = listing.github_repo
        withdrawal = self._withdrawals_by_id.get(listing.arxiv_id)
        if withdrawal and withdrawal.announced_at <= at:  # HF marks a paper withdrawn once arXiv announces it
            paper["withdrawnAt"] = hf_timestamp(withdrawal.announced_at)
        paper["ai_keywords"] = list(listing.ai_keywords)
        return {
            "paper": paper,
            "publishedAt": hf_timestamp(listing.listed_at),  # when HF listed it: may be the next morning
            "title": listing.title,
            "summary": listing.summary,
            "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{listing.arxiv_id}.png",
            "numComments": grown_count(listing.settled_comment_count, listing.listed_at, at, growth_days),
            "isAuthorParticipating": False,
        }

    def hf_day_settled_at(self, listing_date: date) -> datetime | None:
        """When `listing_date`'s list and counts stop changing; None for a date outside the world."""
        listings = self.hf_listings.get(listing_date)
        if listings is None:
            return None
        last_listed_at = max((l.listed_at for l in listings), default=day_start(listing_date))
        return last_listed_at + timedelta(days=self.settings.count_growth_days)

    # ---- arXiv ----

    def arxiv_day_announced_at(self, submitted_date: date) -> datetime:
        """When the last v1 submitted on `submitted_date` (UTC) is announced: from then on a
        `submittedDate` query of that day only changes by new versions of its papers."""
        return announced_at(day_start(submitted_date + timedelta(days=1)) - timedelta(seconds=1), self.settings.holidays)

    def arxiv_entries(self, query: str, at: datetime, *, sort_by: str | None = None, descending: bool = True) -> list:
        """The Atom `<entry>` elements arXiv answers `search_query=query` at `at`; ValueError for a query it cannot read."""
        return matching_entries(self.arxiv_papers, query, aware(at), sort_by=sort_by, descending=descending)

    # ---- the truth ----

    def truth(self, at: datetime, categories: Iterable[str] = MAIN_CATEGORIES) -> WorldTruth:
        """Every HF list and count and every arXiv paper (in `categories`) as they stand at `at`."""
        at, wanted = aware(at), set(categories)
        hf_lists, hf_papers = {}, {}
        for listing_date, listings in self.hf_listings.items():
            if day_start(listing_date) > at:
                continue
            listed = [l for l in listings if l.listed_at <= at]
            hf_lists[listing_date] = tuple(sorted(l.arxiv_id for l in listed))
            for listing in listed:
                hf_papers[listing.arxiv_id] = hf_paper_truth(listing, at, self.settings.count_growth_days)
        arxiv_truths = {}
        for paper in self.arxiv_papers:
            version = paper.version_at(at)
            if version is not None and wanted & set(paper.categories):
                arxiv_truths[paper.arxiv_id] = ArxivPaperTruth(
                    paper.arxiv_id, version.number, paper.submitted_at.date(), version.submitted_at,
                    paper.categories, version.is_withdrawal,
                )
        return WorldTruth(at, hf_lists, hf_papers, arxiv_truths)


def aware(at: datetime) -> datetime:
    # A naive time would compare as an error deep inside; say what is wrong instead.
    if at.tzinfo is None:
        raise ValueError(f"{at!r} has no time zone: the world's times are aware (UTC)")
    return at
