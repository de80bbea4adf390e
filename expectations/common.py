"""Rules every table that describes a paper shares (sightings and papers), declared once here."""

from __future__ import annotations

import re

from expectations.rules import (
    ARXIV_ID_PATTERN,
    TITLE_PAPER_ID_PATTERN,
    Rule,
    does_not_match,
    equal_when_present,
    length_between,
    matches,
)
from feeds.text_page import HEADER_LINES, MONTHS

# Real titles run to about 250 characters; a longer "title" is an abstract or a glued page.
TITLE_CHARS = (3, 400)
# arXiv caps abstracts at 1,920 characters; far beyond that, several lines were glued together.
ABSTRACT_CHARS = (20, 5000)

# Lines that are page furniture, not papers: the text page's header (declared by its parser),
# what arXiv answers instead of entries, and the page's date line ("Mar 11").
BOILERPLATE_TITLES = tuple(sorted(HEADER_LINES)) + ("Error", "Rate exceeded.", "Trending Papers", "Daily Papers")
_DATE_LINE = r"(?:" + "|".join(MONTHS) + r")[a-z]*\.?\s+\d{1,2}"
BOILERPLATE_PATTERN = (
    r"(?i)^\s*(?:" + "|".join(re.escape(t.rstrip(".!")) for t in BOILERPLATE_TITLES) + "|" + _DATE_LINE + r")[.!]?\s*$"
)

TITLE_LENGTH = length_between("title_length", "title", *TITLE_CHARS, why="longer is a parse error")
TITLE_BOILERPLATE = does_not_match("title_boilerplate", "title", BOILERPLATE_PATTERN, "a page header or boilerplate line, not a title")
ABSTRACT_LENGTH = length_between("abstract_length", "abstract", *ABSTRACT_CHARS, why="arXiv caps abstracts at 1,920")
ARXIV_ID_FORMAT = matches(
    "arxiv_id_format", "arxiv_id", ARXIV_ID_PATTERN, "an arXiv id (YYMM.NNNNN or archive/YYMMNNN, without a vN suffix)"
)
PAPER_ID_FORMAT = matches(
    "paper_id_format",
    "paper_id",
    f"(?:{ARXIV_ID_PATTERN}|{TITLE_PAPER_ID_PATTERN})",
    "an arXiv id or a title:<hash> id",
)
PAPER_ID_IS_ARXIV_ID = equal_when_present("paper_id_is_arxiv_id", "paper_id", "arxiv_id")

PAPER_TEXT_RULES: tuple[Rule, ...] = (
    TITLE_LENGTH,
    TITLE_BOILERPLATE,
    ABSTRACT_LENGTH,
    ARXIV_ID_FORMAT,
    PAPER_ID_FORMAT,
    PAPER_ID_IS_ARXIV_ID,
)
