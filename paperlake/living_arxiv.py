"""The living world's arXiv API: reading `search_query`, choosing what is announced, writing Atom entries.

Supported queries are the ones paperlake sends and a few more: any AND of `submittedDate:[A TO B]`
(first version's submission, GMT) and `lastUpdatedDate:[A TO B]` (latest announced version's
submission), with an optional `(cat:X OR cat:Y)` group. Anything else is a ValueError, which the
server turns into arXiv's `Error` entry.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Iterable

from feeds.arxiv import ARXIV_NS, ATOM_PREFIX
from paperlake import living_text as text
from paperlake.living_model import ArxivPaper, ArxivVersion

DATE_RANGE = re.compile(r"\b(?P<field>submittedDate|lastUpdatedDate):\[(?P<start>\d{12}) TO (?P<end>\d{12})\]")
CATEGORY_TERM = re.compile(r"\bcat:(?P<category>[\w.\-]+)")
# What may be left of a query once its ranges and categories are taken out.
CONNECTIVES = re.compile(r"^[\s()]*(?:(?:AND|OR)[\s()]*)*$")
RANGE_END_SLACK = timedelta(minutes=1)  # `TO ...2359` includes 23:59:59
ARXIV = f"{{{ARXIV_NS}}}"


@dataclass(frozen=True)
class DateRange:
    field: str  # submittedDate or lastUpdatedDate
    start_at: datetime
    end_at: datetime  # exclusive

    def holds(self, paper: ArxivPaper, version: ArxivVersion) -> bool:
        moment = paper.submitted_at if self.field == "submittedDate" else version.submitted_at
        return self.start_at <= moment < self.end_at


@dataclass(frozen=True)
class ArxivQuery:
    ranges: tuple[DateRange, ...]
    categories: frozenset[str]  # empty: any category

    def holds(self, paper: ArxivPaper, version: ArxivVersion) -> bool:
        in_categories = not self.categories or bool(self.categories & set(paper.categories))
        return in_categories and all(r.holds(paper, version) for r in self.ranges)


def read_query(query: str) -> ArxivQuery:
    ranges = tuple(
        DateRange(match["field"], compact_at(match["start"]), compact_at(match["end"]) + RANGE_END_SLACK)
        for match in DATE_RANGE.finditer(query)
    )
    categories = frozenset(CATEGORY_TERM.findall(query))
    rest = CATEGORY_TERM.sub(" ", DATE_RANGE.sub(" ", query))
    if not (ranges or categories) or not CONNECTIVES.match(rest):
        supported = "(cat:X OR cat:Y) AND submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM] or lastUpdatedDate:[...]"
        raise ValueError(f"unsupported query {query!r}: use {supported}")
    return ArxivQuery(ranges, categories)


def compact_at(stamp: str) -> datetime:
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"incorrect date format {stamp!r}: expected YYYYMMDDHHMM") from None


def matching_entries(
    papers: Iterable[ArxivPaper], query: str, at: datetime, *, sort_by: str | None = None, descending: bool = True
) -> list[ET.Element]:
    """Entries of the papers the query selects among those announced by `at`, each at its latest announced version."""
    wanted = read_query(query)
    shown = [(paper, version) for paper in papers if (version := paper.version_at(at)) and wanted.holds(paper, version)]
    shown.sort(key=lambda shown_paper: sort_key(*shown_paper, sort_by), reverse=descending)
    return [entry_element(paper, version) for paper, version in shown]


def sort_key(paper: ArxivPaper, version: ArxivVersion, sort_by: str | None) -> tuple:
    if sort_by == "submittedDate":
        return paper.submitted_at, paper.arxiv_id
    if sort_by == "lastUpdatedDate":
        return version.submitted_at, paper.arxiv_id
    return (paper.arxiv_id,)  # relevance: any stable order will do


def atom_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_element(paper: ArxivPaper, version: ArxivVersion) -> ET.Element:
    """One `<entry>` as arXiv writes it, showing `version` (`<id>...vN`, `<updated>` its time, `<published>` v1's)."""
    versioned_url = f"http://arxiv.org/abs/{paper.arxiv_id}v{version.number}"
    entry = ET.Element(f"{ATOM_PREFIX}entry")
    ET.SubElement(entry, f"{ATOM_PREFIX}id").text = versioned_url
    ET.SubElement(entry, f"{ATOM_PREFIX}updated").text = atom_timestamp(version.submitted_at)
    ET.SubElement(entry, f"{ATOM_PREFIX}published").text = atom_timestamp(paper.submitted_at)
    ET.SubElement(entry, f"{ATOM_PREFIX}title").text = text.wrapped_title(paper.title_of(version))
    ET.SubElement(entry, f"{ATOM_PREFIX}summary").text = text.wrapped_summary(version.summary)
    for name in paper.authors:
        ET.SubElement(ET.SubElement(entry, f"{ATOM_PREFIX}author"), f"{ATOM_PREFIX}name").text = name
    if version.comment:
        ET.SubElement(entry, f"{ARXIV}comment").text = version.comment
    if reference := text.journal_reference(paper.arxiv_id, version.comment):
        ET.SubElement(entry, f"{ARXIV}journal_ref").text = reference[0]
        ET.SubElement(entry, f"{ARXIV}doi").text = reference[1]
    ET.SubElement(entry, f"{ATOM_PREFIX}link", href=versioned_url, rel="alternate", type="text/html")
    pdf_url = versioned_url.replace("/abs/", "/pdf/")
    ET.SubElement(entry, f"{ATOM_PREFIX}link", title="pdf", href=pdf_url, rel="related", type="application/pdf")
    ET.SubElement(entry, f"{ARXIV}primary_category", term=paper.primary_category, scheme="http://arxiv.org/schemas/atom")
    for category in paper.categories:
        ET.SubElement(entry, f"{ATOM_PREFIX}category", term=category, scheme="http://arxiv.org/schemas/atom")
    return entry
