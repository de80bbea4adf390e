"""Deterministic synthetic feeds: N days x K papers a day, in the three formats paperlake reads.

The trending page of a day lists K papers. A paper stays on it for a few consecutive days, drawn
from a distribution shaped like the real page's: most one to three days, some a week, a few for
weeks; now and then a paper is listed twice on one page. New papers fill the freed slots, so over
365 days x 200 a day there are about 73,000 sightings of about 30,000 papers.

The same papers are rendered three ways, each the format a feed really serves:

- `pages/YYYY-MM-DD.txt`: the page as a person saves it as plain text (header, `Mar 11` date line
  with no year, title and abstract lines); the file's modification time is set to that day, which
  is what `paperlake ingest` infers the year from;
- `hf_daily/YYYY-MM-DD.json`: the Hugging Face daily papers API's list, for the top quarter of the
  page (arXiv ids, upvotes that move from day to day);
- `arxiv/YYYY-MM-DD.xml`: the arXiv API's Atom answer: the papers first listed that day (v1), and
  the v2 of papers revised that day.

Everything comes from one seed: the same arguments give the same bytes (and so the same sha256s).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator
from xml.sax.saxutils import escape

# How many consecutive days a paper stays on the page: (weight, shortest, longest).
# The mean, about 2.5 days, gives the 73,000 sightings of about 30,000 papers a year.
LISTED_DAY_COUNTS = ((0.38, 1, 1), (0.32, 2, 2), (0.20, 3, 3), (0.07, 4, 6), (0.03, 7, 28))
TWICE_ON_PAGE_SHARE = 0.01  # listings printed twice on one page (the page's own duplicates)
REVISED_SHARE = 0.15  # papers whose v2 arXiv lists a few days after v1
HF_SHARE = 0.25  # the top of the page that the daily papers API lists too

SYLLABLES = "ka ri to mo ne la shi vu de pa ro mi zu te ga lo fe ni bu sa ke po ra di mu ze ta".split()
TOPIC_WORDS = (
    "sparse routing transformer diffusion agent reasoning benchmark vision language robot graph kernel proof "
    "retrieval alignment distillation quantization token memory planning video speech policy reward scaling "
    "attention optimizer curriculum contrastive multimodal segmentation tabular causal federated privacy"
).split()
FILLER_WORDS = (
    "we the a of and to in for on with that model models method results show propose study data training "
    "tasks performance approach across while improves over existing baselines using learning large small "
    "new robust efficient simple evaluate experiments demonstrate achieves state art accuracy cost"
).split()
HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nbyAK and the research community\n\n"


@dataclass
class Paper:
    number: int
    first_date: date
    arxiv_id: str
    title: str
    abstract: str
    revised_date: date | None  # the day its v2 appears on arXiv, if it has one
    days_left: int = 0
    upvotes: int = 0


@dataclass
class Day:
    day: date
    page: list[Paper]  # in rank order, a paper printed twice appears twice
    new: list[Paper] = field(default_factory=list)  # first listed this day
    revised: list[Paper] = field(default_factory=list)  # their v2 is dated this day


class Catalog:
    """Day after day of listings; a paper's text is kept only while it is on the page."""

    def __init__(self, per_day: int, seed: int = 7):
        self.per_day = per_day
        self.rng = random.Random(seed)
        self.on_page: list[Paper] = []
        self.month_counts: dict[tuple[int, int], int] = {}
        self.revisions: dict[date, list[Paper]] = {}
        self.paper_count = 0

    def days(self, start_date: date, day_count: int) -> Iterator[Day]:
        for offset in range(day_count):
            yield self.next_day(start_date + timedelta(days=offset))

    def next_day(self, day: date) -> Day:
        self.on_page = [p for p in self.on_page if p.days_left > 0]
        new = [self._new_paper(day) for _ in range(self.per_day - len(self.on_page))]
        self.on_page += new
        for paper in self.on_page:
            paper.days_left -= 1
            paper.upvotes += self.rng.randint(0, 40)
        ranked = sorted(self.on_page, key=lambda p: (-p.upvotes, p.number))
        return Day(day, self._with_repeats(ranked), new, self.revisions.pop(day, []))

    def _new_paper(self, day: date) -> Paper:
        number = self.paper_count
        self.paper_count += 1
        month = (day.year, day.month)
        self.month_counts[month] = self.month_counts.get(month, 0) + 1
        arxiv_id = f"{day.year % 100:02d}{day.month:02d}.{self.month_counts[month]:05d}"
        rng = random.Random(number * 7919 + 17)
        revised = day + timedelta(days=rng.randint(1, 20)) if rng.random() < REVISED_SHARE else None
        paper = Paper(number, day, arxiv_id, _title(number, rng), _abstract(rng), revised, self._listed_day_count(), rng.randint(0, 30))
        if revised:
            self.revisions.setdefault(revised, []).append(paper)
        return paper

    def _listed_day_count(self) -> int:
        pick = self.rng.random()
        for weight, shortest, longest in LISTED_DAY_COUNTS:
            if pick < weight:
                return self.rng.randint(shortest, longest)
            pick -= weight
        return 1

    def _with_repeats(self, ranked: list[Paper]) -> list[Paper]:
        page = list(ranked)
        for paper in ranked:
            if self.rng.random() < TWICE_ON_PAGE_SHARE:
                page.insert(self.rng.randint(0, len(page)), paper)
        return page


def _title(number: int, rng: random.Random) -> str:
    """A unique name made of syllables (from the paper's number), then topic words: like `Kavuro: Sparse ...`."""
    name, rest = "", number + 1
    while rest:
        rest, digit = divmod(rest, len(SYLLABLES))
        name += SYLLABLES[digit]
    topic = " ".join(rng.sample(TOPIC_WORDS, rng.randint(3, 6))).title()
    return f"{name.capitalize()}: {topic} for {rng.choice(TOPIC_WORDS).title()}"


def _abstract(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(4, 7)):
        words = rng.choices(FILLER_WORDS, k=rng.randint(10, 18)) + rng.sample(TOPIC_WORDS, 2)
        rng.shuffle(words)
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


# ---- rendering: one payload per feed and day, in the real formats ----


def text_page(day: Day) -> bytes:
    body = "".join(f"{p.title}\n\n{p.abstract}\n\n" for p in day.page)
    return (HEADER + f"{day.day:%b} {day.day.day}\n\n" + body).encode("utf-8")


def hf_daily_json(day: Day) -> bytes:
    top = day.page[: max(1, int(len(day.page) * HF_SHARE))]
    items, seen = [], set()
    for paper in top:
        if paper.arxiv_id in seen:
            continue
        seen.add(paper.arxiv_id)
        items.append({
            "paper": {
                "id": paper.arxiv_id, "authors": _authors(paper), "publishedAt": f"{paper.first_date}T11:00:00.000Z",
                "title": paper.title, "summary": paper.abstract, "upvotes": paper.upvotes,
                "ai_keywords": paper.title.split(": ", 1)[1].lower().split()[:3],
            },
            "publishedAt": f"{day.day}T03:00:00.000Z", "title": paper.title, "summary": paper.abstract,
            "numComments": paper.number % 7,
        })
    return json.dumps(items, separators=(",", ":")).encode("utf-8")


def arxiv_atom(day: Day) -> bytes:
    entries = [_entry(p, 1, p.first_date) for p in day.new] + [_entry(p, 2, day.day) for p in day.revised]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <title>ArXiv Query: submittedDate {day.day}</title>\n"
        f'  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{len(entries)}</opensearch:totalResults>\n'
        + "".join(entries) + "</feed>\n"
    ).encode("utf-8")


def _entry(paper: Paper, version: int, updated: date) -> str:
    authors = "".join(f"    <author><name>{escape(name)}</name></author>\n" for name in _names(paper))
    return (
        f"  <entry>\n    <id>http://arxiv.org/abs/{paper.arxiv_id}v{version}</id>\n"
        f"    <updated>{updated}T12:00:00Z</updated>\n    <published>{paper.first_date}T12:00:00Z</published>\n"
        f"    <title>{escape(paper.title)}</title>\n    <summary>{escape(paper.abstract)}</summary>\n{authors}  </entry>\n"
    )


def _names(paper: Paper) -> list[str]:
    rng = random.Random(paper.number)
    return [f"{rng.choice(SYLLABLES).title()}{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES).title()}{rng.choice(SYLLABLES)}" for _ in range(3)]


def _authors(paper: Paper) -> list[dict]:
    return [{"name": name} for name in _names(paper)]


# ---- files ----

FORMATS = {"pages": ("txt", text_page), "hf_daily": ("json", hf_daily_json), "arxiv": ("xml", arxiv_atom)}


@dataclass(frozen=True)
class FeedFiles:
    root: Path
    start_date: date
    day_count: int
    sighting_count: int  # distinct (paper, page) listings: what `sightings` gets from the pages
    paper_count: int

    def folder(self, kind: str) -> Path:
        return self.root / kind

    def path(self, kind: str, day: date) -> Path:
        return self.root / kind / f"{day}.{FORMATS[kind][0]}"

    @property
    def end_date(self) -> date:
        return self.start_date + timedelta(days=self.day_count - 1)


def write_feeds(root: Path, start_date: date, day_count: int, per_day: int, all_kinds_dates: set[date] = frozenset(), seed: int = 7) -> FeedFiles:
    """Write every day's page under `root/pages/` (its day as mtime) and, on `all_kinds_dates`, the
    day's `hf_daily` and `arxiv` payloads too (a year of all three is 110 MB; only daily runs need them)."""
    for kind in FORMATS:
        (root / kind).mkdir(parents=True, exist_ok=True)
    catalog, sighting_count = Catalog(per_day, seed), 0
    for day in catalog.days(start_date, day_count):
        sighting_count += len({p.number for p in day.page})
        for kind in FORMATS if day.day in all_kinds_dates else ("pages",):
            extension, render = FORMATS[kind]
            path = root / kind / f"{day.day}.{extension}"
            path.write_bytes(render(day))
            if kind == "pages":
                _saved_on(path, day.day)
    return FeedFiles(root, start_date, day_count, sighting_count, catalog.paper_count)


def _saved_on(path: Path, day: date) -> None:
    """A person saved the page at noon that day: `ingest` infers the date line's year from this."""
    stamp = datetime(day.year, day.month, day.day, 12).timestamp()
    os.utime(path, (stamp, stamp))
