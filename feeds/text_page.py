"""Parser for a trending-papers page saved as plain text by a person.

The page is a header (`new`, `Get trending papers in your email inbox!`, `Subscribe`,
`byAK and the research community`), an optional date line such as `Mar 11`, then a title line
and an abstract line per paper. Real copies vary: blank lines between all lines or none, the
first title glued to `Subscribe`, a second header line, no date line. Pure: bytes in, rows out.
"""

from __future__ import annotations

import re
from dataclasses import replace

from feeds.payload import ParseIssue, ParseResult, parsed_frame, reject_text
from transforms.identity import normalize_title

FORMAT = "text_page"

HEADER_LINES = frozenset(
    {
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "Subscribe",
        "byAK and the research community",
    }
)
GLUED_PREFIX = "Subscribe"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DATE_LINE = re.compile(r"^(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})$")

# Real titles run to ~150 characters and real abstracts start at ~600. The page's alternation of
# title and abstract lines places each line; these bounds only say whether the line after a title
# reads as its abstract, and, when it does not, whether the stray line was a title or an abstract.
TITLE_MAX_CHARS = 300
ABSTRACT_MIN_CHARS = 120


# A saved page lists at most a few hundred papers (~1 MB); a file far larger, or without a single
# title/abstract pair near the top, is something else, and reading it line by line would cost
# minutes and one issue per line.
MAX_PAGE_BYTES = 8 * 1024 * 1024
BODY_LINES_BEFORE_A_PAIR = 60
# Issues kept with their line; the rest are counted by rule in one summary issue.
MAX_ISSUES_LISTED = 10


def parse(content: bytes, source: str) -> ParseResult:
    if len(content) > MAX_PAGE_BYTES:
        message = f"{len(content):,} bytes: far larger than a saved page (at most {MAX_PAGE_BYTES // 2**20} MiB), not a page copy"
        return ParseResult(parsed_frame([]), [ParseIssue(source, "not_a_page_copy", message)])
    text, issue = decode(content, source)
    if issue:
        return ParseResult(parsed_frame([]), [issue])
    if not text.strip():
        return ParseResult(parsed_frame([]), [ParseIssue(source, "empty", "the file has no text")])
    lines = _numbered_lines(text)
    body_start, _ = _read_header(lines)
    records, issues = _read_pairs(lines[body_start:], source)
    rejects = [issue for issue in issues if issue.text is not None]  # all of them, for the quarantine
    issues = _bounded(issues, source)
    if not records and not issues:
        issues.append(ParseIssue(source, "no_papers", "the page has a header but no title/abstract lines"))
    return ParseResult(parsed_frame(records), issues, rejects)


def page_month_day(content: bytes) -> tuple[int, int] | None:
    """The (month, day) of the page's date line, if it has one (it never has a year)."""
    text, issue = decode(content, "")
    if issue:
        return None
    lines = _numbered_lines(text)
    return _read_header(lines)[1] if lines else None


def looks_like_text_page(content: bytes) -> bool:
    head = content[:2000].decode("utf-8", errors="replace")
    return any(line.strip() in HEADER_LINES or line.startswith(GLUED_PREFIX) for line in head.splitlines()[:8])


def decode(content: bytes, source: str) -> tuple[str, ParseIssue | None]:
    if b"\x00" in content[:8192]:
        return "", ParseIssue(source, "binary", "binary file (NUL bytes), not a text page copy")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = content[: err.start].count(b"\n") + 1
        return "", ParseIssue(source, "not_utf8", f"not UTF-8: byte 0x{content[err.start]:02x} at offset {err.start}", line)
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body")):
        return "", ParseIssue(source, "html", "an HTML/XML page, not a text page copy (save the page as plain text)", 1)
    return text, None


def _numbered_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines, stripped, with their 1-based line numbers in the file."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _read_header(lines: list[tuple[int, str]]) -> tuple[int, tuple[int, int] | None]:
    """Skip the header; return where the papers start and the date line's (month, day).

    A title glued to `Subscribe` is un-glued in place, so it is read as the first title.
    """
    i, month_day = 0, None
    while i < len(lines):
        number, line = lines[i]
        if line in HEADER_LINES:
            i += 1
        elif month_day is None and (found := _month_day(line)):
            month_day = found
            i += 1
        elif line.startswith(GLUED_PREFIX) and len(line) > len(GLUED_PREFIX):
            lines[i] = (number, line[len(GLUED_PREFIX) :].strip())
            break
        else:
            break
    return i, month_day


def _month_day(line: str) -> tuple[int, int] | None:
    match = DATE_LINE.match(line)
    if not match or match["month"].lower() not in MONTHS:
        return None
    month, day = MONTHS.index(match["month"].lower()) + 1, int(match["day"])
    return (month, day) if 1 <= day <= 31 else None


def _is_abstract(line: str) -> bool:
    return len(line) > TITLE_MAX_CHARS or (len(line) >= ABSTRACT_MIN_CHARS and line.endswith((".", ".)", '."')))


def _bounded(issues: list[ParseIssue], source: str) -> list[ParseIssue]:
    """The first few issues with their lines, then one that counts the rest by rule."""
    if len(issues) <= MAX_ISSUES_LISTED:
        return issues
    issues = sorted(issues, key=lambda issue: issue.rule != "not_a_page_copy")  # the verdict first
    rest = issues[MAX_ISSUES_LISTED:]
    counts: dict[str, int] = {}
    for issue in rest:
        counts[issue.rule] = counts.get(issue.rule, 0) + 1
    by_rule = ", ".join(f"{rule} ({count:,})" for rule, count in sorted(counts.items(), key=lambda item: -item[1]))
    summary = ParseIssue(source, "more_issues", f"{len(rest):,} more problem line(s) not listed: {by_rule}", rest[0].line)
    return issues[:MAX_ISSUES_LISTED] + [summary]


def _read_pairs(lines: list[tuple[int, str]], source: str) -> tuple[list[dict], list[ParseIssue]]:
    """Title line, abstract line, title line, ...: the page's own alternation places each line.

    The line after a title is its abstract when it reads as one, however long the title is (a
    3,000-character title is still a title: the validation rules judge it). Only when that line
    does not read as an abstract is the page out of step: the line at the title position is then a
    title without abstract (a short line) or an abstract without title (a long one), dropped with
    its text, and reading resyncs on the next line.
    """
    records: list[dict] = []
    issues: list[ParseIssue] = []
    i = 0
    while i < len(lines):
        number, line = lines[i]
        if not records and i >= BODY_LINES_BEFORE_A_PAIR:
            message = f"no title/abstract pair in the first {BODY_LINES_BEFORE_A_PAIR} lines after the header: not a page copy"
            # The lines read so far were not rows of a page: the verdict is about the file.
            issues = [replace(issue, text=None) for issue in issues]
            issues.append(ParseIssue(source, "not_a_page_copy", message, number))
            break
        if i + 1 >= len(lines) or not _is_abstract(lines[i + 1][1]):
            issues.append(_out_of_step(line, number, source))
            i += 1
            continue
        abstract = lines[i + 1][1]
        if not normalize_title(line):  # "!!! ???": no letter or digit, so no paper id could come of it
            message = f"title line has no letter or digit: {line[:80]!r}"
            issues.append(ParseIssue(source, "title_without_letters", message, number, reject_text(f"{line}\n{abstract}")))
            i += 2
            continue
        # A saved page shows only a title and an abstract per paper (its thumbnails, upvote counts and
        # author avatars do not survive a copy as text), so that is all a row can keep.
        records.append({"rank": len(records) + 1, "title": line, "abstract": abstract})
        i += 2
    return records, issues


def _out_of_step(line: str, number: int, source: str) -> ParseIssue:
    """A line at a title position with no abstract after it: which of the two it was, by its shape."""
    if _is_abstract(line):
        return ParseIssue(source, "abstract_without_title", f"abstract with no title line before it: {line[:60]!r}", number, reject_text(line))
    return ParseIssue(source, "title_without_abstract", f"title with no abstract after it: {line[:80]!r}", number, reject_text(line))
