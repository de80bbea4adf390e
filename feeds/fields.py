"""Pure readers for the fields feeds share: arXiv id syntax, whitespace, UTC timestamps.

Every live feed names papers by arXiv id, so the id rules live here once rather than in each
feed's parser. Nothing here touches a clock, the environment or a file.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# New-style ids (April 2007 on): YYMM.NNNN until December 2014, YYMM.NNNNN from January 2015.
NEW_STYLE_ID = re.compile(r"^(?P<yymm>\d{4})\.(?P<number>\d{4,5})$")
# Old-style ids: archive[.SUBJECT]/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
OLD_STYLE_ID = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7}$")
# A version has at most 9 digits (real ones have 1-2): longer is no arXiv id, and would not fit Int32.
VERSIONED_ID = re.compile(r"^(?P<id>\S+?)(?:v(?P<version>\d{1,9}))?$")
ABS_URL_PREFIX = re.compile(r"^https?://(?:export\.)?arxiv\.org/abs/")

FIVE_DIGIT_FROM_YYMM = 1501
FIRST_NEW_STYLE_YYMM = 704


def is_arxiv_id(text: str) -> bool:
    """True for a version-less arXiv id, new or old style.

    The digit-count rule is what catches an id that went through a float: 2503.02130 read as a
    number comes back as 2503.0213, which has four digits where March 2025 needs five.
    """
    if match := NEW_STYLE_ID.match(text):
        yymm = int(match["yymm"])
        if not 1 <= yymm % 100 <= 12 or yymm < FIRST_NEW_STYLE_YYMM:
            return False
        return len(match["number"]) == (5 if yymm >= FIVE_DIGIT_FROM_YYMM else 4)
    return bool(OLD_STYLE_ID.match(text))


def split_versioned_id(text: str) -> tuple[str, int | None] | None:
    """`2203.01250v3` or `http://arxiv.org/abs/2203.01250v3` -> ("2203.01250", 3); None if not an arXiv id."""
    match = VERSIONED_ID.match(ABS_URL_PREFIX.sub("", text.strip()))
    if not match or not is_arxiv_id(match["id"]):
        return None
    version = match["version"]
    return match["id"], int(version) if version else None


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace (newlines from line-wrapped titles and abstracts included) to one space."""
    return " ".join(text.split())


def parse_utc(text: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; a naive one is taken as UTC; None if unreadable."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_date(text: str) -> date | None:
    moment = parse_utc(text)
    return moment.date() if moment else None
