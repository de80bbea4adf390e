"""Building a living world from its seed: arXiv papers with their versions, then the HF lists drawn from them.

Each day draws from its own seeded generator, so a day's papers do not change when the range around
it grows or shrinks (ids aside: they count submissions within a month, as arXiv does).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from paperlake import living_text as text
from paperlake.living_model import (
    CROSS_CATEGORIES,
    MAIN_CATEGORIES,
    OTHER_CATEGORIES,
    ArxivPaper,
    ArxivVersion,
    HfListing,
    WorldSettings,
    announced_at,
    arxiv_count_for,
    count_for,
    dates_between,
    day_rng,
    day_start,
)

SECONDS_PER_DAY = 86_400
# Ids of HF papers older than the world: a month of numbers no world paper uses.
OUTSIDE_NUMBER_START = 90_000


def arxiv_papers_between(start_date: date, end_date: date, seed: int, settings: WorldSettings) -> list[ArxivPaper]:
    drafts = []  # (submitted_at, day, index): the index names the paper's own generator
    for day in dates_between(start_date, end_date):
        rng = day_rng(seed, "arxiv", day)
        for index in range(arxiv_count_for(day, start_date, settings, rng)):
            drafts.append((day_start(day) + timedelta(seconds=rng.randrange(SECONDS_PER_DAY)), day, index))
    drafts.sort()
    next_number_by_yymm: dict[str, int] = {}
    titles: set[str] = set()
    papers = []
    for submitted_at, day, index in drafts:
        yymm = submitted_at.strftime("%y%m")
        number = next_number_by_yymm.get(yymm) or day_rng(seed, "ids", yymm).randint(1000, 4000)
        next_number_by_yymm[yymm] = number + 1
        rng = day_rng(seed, "arxiv", day, index)
        papers.append(arxiv_paper(f"{yymm}.{number:05d}", submitted_at, rng, settings, titles))
    return papers


def arxiv_paper(arxiv_id: str, submitted_at: datetime, rng: random.Random, settings: WorldSettings, titles: set[str]) -> ArxivPaper:
    primary_category, categories = paper_categories(rng, settings)
    title = unique_title(rng, titles)
    summary = text.summary_text(rng, title)
    comment = text.comment_text(rng, submitted_at.year)
    first = ArxivVersion(1, submitted_at, announced_at(submitted_at, settings.holidays), summary, comment)
    versions = later_versions(first, title, rng, settings)
    return ArxivPaper(arxiv_id, title, text.author_names(rng), primary_category, categories, versions)


def paper_categories(rng: random.Random, settings: WorldSettings) -> tuple[str, tuple[str, ...]]:
    if rng.random() < settings.arxiv_other_share:
        chosen = rng.sample(OTHER_CATEGORIES, rng.randint(1, 2))
        return chosen[0], tuple(chosen)
    # Some papers are primary elsewhere (stat.ML) and cross-listed into the categories we follow.
    primary_category = rng.choice(MAIN_CATEGORIES + ("stat.ML",))
    cross_lists = rng.sample(MAIN_CATEGORIES + CROSS_CATEGORIES, rng.randint(0, 2))
    if primary_category not in MAIN_CATEGORIES and not set(cross_lists) & set(MAIN_CATEGORIES):
        cross_lists.append(rng.choice(MAIN_CATEGORIES))
    return primary_category, tuple(dict.fromkeys([primary_category, *cross_lists]))


def unique_title(rng: random.Random, titles: set[str]) -> str:
    # Titles link page copies to arXiv ids, so two papers of one world must never share one.
    title = text.title_text(rng)
    part = 2
    while title.casefold() in titles:
        title, part = f"{text.title_text(rng)}: Part {part}", part + 1
    titles.add(title.casefold())
    return title


def later_versions(first: ArxivVersion, title: str, rng: random.Random, settings: WorldSettings) -> tuple[ArxivVersion, ...]:
    revision_count = 0
    if rng.random() < settings.revision_share:
        revision_count = 2 if rng.random() < settings.third_version_share else 1
    is_withdrawn = rng.random() < settings.withdrawal_share
    versions = [first]
    for step in range(revision_count + is_withdrawn):
        previous = versions[-1]
        # A new version is submitted some days after the previous one went out, at any time of day.
        submitted_at = previous.announced_at + timedelta(days=rng.uniform(*settings.revision_delay_days))
        submitted_at = submitted_at.replace(microsecond=0)
        number = previous.number + 1
        is_withdrawal = is_withdrawn and step == revision_count
        summary = text.WITHDRAWAL_NOTICE if is_withdrawal else text.revised_summary(first.summary, number)
        comment = "Withdrawn" if is_withdrawal else previous.comment
        # Still unique: the world's titles never end this way.
        new_title = f"{title}: Extended Version" if not is_withdrawal and rng.random() < settings.retitle_share else None
        announced = announced_at(submitted_at, settings.holidays)
        versions.append(ArxivVersion(number, submitted_at, announced, summary, comment, is_withdrawal, new_title))
    return tuple(versions)


def hf_listings_between(
    papers: tuple[ArxivPaper, ...], start_date: date, end_date: date, seed: int, settings: WorldSettings
) -> dict[date, tuple[HfListing, ...]]:
    followed = sorted((p for p in papers if set(p.categories) & set(MAIN_CATEGORIES)), key=lambda p: p.arxiv_id)
    titles = {p.title.casefold() for p in papers}
    used_ids: set[str] = set()  # a paper is on one date's list only
    outside_yymm = (start_date - timedelta(days=62)).strftime("%y%m")
    listings_by_date = {}
    for day in dates_between(start_date, end_date):
        rng = day_rng(seed, "hf", day)
        # Candidates were announced before the earliest possible listing time of the day.
        latest_at = day_start(day) + timedelta(hours=settings.hf_early_hours[0])
        earliest_at = latest_at - timedelta(days=settings.hf_lookback_days)
        pool = [p for p in followed if earliest_at <= p.versions[0].announced_at <= latest_at and p.arxiv_id not in used_ids]
        listings = []
        for index in range(count_for(day, settings.hf_weekday_count, settings.hf_weekend_count, rng)):
            listed_at = hf_listed_at(day, rng, settings)
            if pool and rng.random() < settings.hf_arxiv_share:
                listing = listing_of(pool.pop(rng.randrange(len(pool))), day, listed_at, rng)
            else:
                outside_id = f"{outside_yymm}.{OUTSIDE_NUMBER_START + len(used_ids):05d}"
                listing = outside_listing(outside_id, day, listed_at, rng, titles)
            used_ids.add(listing.arxiv_id)
            listings.append(listing)
        listings_by_date[day] = tuple(listings)
    return listings_by_date


def hf_listed_at(day: date, rng: random.Random, settings: WorldSettings) -> datetime:
    roll = rng.random()
    if roll < settings.hf_next_morning_share:
        return day_start(day + timedelta(days=1)) + timedelta(seconds=rng.randrange(settings.hf_next_morning_until_hour * 3600))
    is_early = roll < settings.hf_next_morning_share + settings.hf_early_share
    first_hour, end_hour = settings.hf_early_hours if is_early else settings.hf_us_hours
    return day_start(day) + timedelta(seconds=rng.randrange(first_hour * 3600, end_hour * 3600))


def listing_of(paper: ArxivPaper, day: date, listed_at: datetime, rng: random.Random) -> HfListing:
    first = paper.versions[0]
    return HfListing(
        day, listed_at, paper.arxiv_id, paper.title, first.summary, paper.authors, first.submitted_at,
        *settled_counts(rng), text.github_repo(rng, paper.title), text.keywords(rng),
    )


def outside_listing(arxiv_id: str, day: date, listed_at: datetime, rng: random.Random, titles: set[str]) -> HfListing:
    """An HF paper whose arXiv submission is older than the world (HF lists those too)."""
    title = unique_title(rng, titles)
    published_at = day_start(day) - timedelta(seconds=rng.randrange(2 * SECONDS_PER_DAY, 30 * SECONDS_PER_DAY))
    return HfListing(
        day, listed_at, arxiv_id, title, text.summary_text(rng, title), text.author_names(rng), published_at,
        *settled_counts(rng), text.github_repo(rng, title), text.keywords(rng),
    )


def settled_counts(rng: random.Random) -> tuple[int, int]:
    # Heavy-tailed like the site: most papers get a handful of upvotes, a few get hundreds.
    upvote_count = min(800, int(rng.lognormvariate(2.3, 1.1)))
    return upvote_count, int(upvote_count * rng.uniform(0.0, 0.2))
