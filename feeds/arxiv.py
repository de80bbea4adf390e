"""arXiv API: one day's submissions in some categories, as Atom (`GET /api/query?search_query=...`).

One feed-day is one Payload: the pages' `<entry>` elements gathered into one Atom feed whose
header holds only what is stable for the query (the API stamps each response with the time of
the request), so identical answers give identical bytes and the same sha256.

Quirks of the real service handled here: a bad query is answered with a single entry titled
`Error` (HTTP 400 today, HTTP 200 in older answers), whose message is what a failure reports;
throttling can be a plain-text body `Rate exceeded.`; its terms ask for one request every three
seconds. XML is parsed with defusedxml and DTDs are refused outright (Atom has none),
so entity-expansion bombs fail fast as a parse issue.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET  # types and ParseError only: parsing goes through defusedxml, writing through feeds.atom
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from feeds.atom import ARXIV_NS, ATOM_NS, ATOM_PREFIX, ENTRY_TAG, FEED_TAG, OPENSEARCH_NS, TOTAL_RESULTS_TAG, atom_feed  # noqa: F401
from feeds.fields import collapse_whitespace, parse_utc, split_versioned_id
from feeds.http import FetchError, HttpClient, HttpFeed, HttpSettings, Response, settings_from_env, utc_now
from feeds.payload import Payload, ParseIssue, ParseResult, parsed_frame, rejected
from feeds.settling import Settling, settling_from_env

FEED = "arxiv"
FORMAT = "arxiv_atom"
BASE_URL_ENV = "PAPERLAKE_ARXIV_URL"
CATEGORIES_ENV = "PAPERLAKE_ARXIV_CATEGORIES"
INTERVAL_ENV = "PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS"
DEFAULT_BASE_URL = "https://export.arxiv.org"
QUERY_PATH = "/api/query"
DEFAULT_CATEGORIES = ("cs.LG", "cs.CV", "cs.CL", "cs.AI")
# arXiv's terms: no more than one request every three seconds.
POLITE_INTERVAL_SECONDS = 3.0
POLITE_SETTINGS = HttpSettings(min_interval_seconds=POLITE_INTERVAL_SECONDS)
# These four categories see ~1,000 submissions on a busy day; 200 a page keeps responses small.
DEFAULT_PAGE_SIZE = 200
DEFAULT_MAX_PAGES = 50
RATE_EXCEEDED = b"Rate exceeded."
# How the API titles an answer (the query unescaped): `ArXiv Query: search_query=...&id_list=&start=0&max_results=200`.
UPDATED_DAY = re.compile(r"lastUpdatedDate:\[(?P<first>\d{8})0000 TO (?P<last>\d{8})2359\]")
API_TITLE = re.compile(r"^ArXiv Query: search_query=(?P<query>.*)&id_list=&start=(?P<start>\d+)&max_results=\d+$")
# A submission shows up once announced: the night after (about 00:00-01:00 UTC), a Friday or weekend one on
# Tuesday about 01:00 UTC, later around holidays. So yesterday is the newest day that can have content, and a
# day is final once fetched 7 days after it began (UTC): the longest usual delay plus holiday margin.
SETTLING = Settling(settle_days=7, newest_day_lag_days=1)
SETTLE_DAYS_ENV = "PAPERLAKE_ARXIV_SETTLE_DAYS"
# A backfill's load of this feed is bounded by its bytes alone (flows/backfill.py): its days add new
# papers and versions of recent ones, so a load rewrites few older papers files however long its span.
MAX_LOAD_DAY_COUNT = None

# The notice arXiv authors put in a withdrawn version's abstract or comment; narrow on purpose,
# so an abstract about, say, a drug that "was withdrawn" is not read as a withdrawal.
WITHDRAWN = re.compile(
    r"\b(?:this|the) (?:paper|article|submission|manuscript|preprint|version) (?:has been|is|was) withdrawn\b"
    r"|\bwithdrawn by the authors?\b|^withdrawn\b",
    re.IGNORECASE,
)


class ArxivFeed(HttpFeed):
    name = FEED

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        categories: Iterable[str] = DEFAULT_CATEGORIES,
        settings: HttpSettings = POLITE_SETTINGS,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        settling: Settling = SETTLING,
        clock: Callable[[], datetime] = utc_now,
        http: HttpClient | None = None,
    ):
        self.query_url = base_url.rstrip("/") + QUERY_PATH
        self.categories = tuple(categories)
        self.page_size, self.max_pages = page_size, max_pages
        self.settling = settling
        self._clock = clock
        self.http = http or HttpClient(FEED, settings)

    def fetch(self, day: date) -> list[Payload]:
        """The day's listing as two Payloads, each complete or a FetchError (all or nothing): the papers
        first submitted that day, and the new versions dated that day of papers submitted before it.

        The API shows each paper at its latest announced version, so a version announced weeks after
        its v1 is caught by the second query of its own day, while that day is still provisional.
        """
        submitted = search_query(self.categories, day)
        updated = search_query(self.categories, day, field="lastUpdatedDate")
        new_entries, new_total, new_url = self._fetch_query(submitted, day, "submittedDate")
        version_entries, _, version_url = self._fetch_query(updated, day, "lastUpdatedDate")
        replacements = [e for e in version_entries if is_replacement(e, day)]
        fetched_at = self._clock()
        return [
            Payload(FEED, new_url, FORMAT, day_document(new_entries, submitted, new_total), day, fetched_at),
            Payload(FEED, version_url, FORMAT, day_document(replacements, updated, len(replacements)), day, fetched_at),
        ]

    def _fetch_query(self, query: str, day: date, sort_by: str) -> tuple[list[ET.Element], int | None, str]:
        """Every page of one query's answer: its entries, the total the API announced, the first page's URL."""
        entries: list[ET.Element] = []
        total_count, first_url = None, None
        for page_index in range(self.max_pages):
            start = page_index * self.page_size
            params = self._params(query, start, sort_by)
            response = self.http.get(self.query_url, params, day=day, is_throttled=is_rate_exceeded, explain=error_answer)
            first_url = first_url or response.url
            page = self._read_page(response, day, start)
            page_entries = page.findall(ENTRY_TAG)
            entries.extend(page_entries)
            total_count = total_count if total_count is not None else total_results(page)
            if len(page_entries) < self.page_size or (total_count is not None and len(entries) >= total_count):
                break
        else:
            reason = f"still full pages after {self.max_pages} pages of {self.page_size}"
            raise FetchError(FEED, day, first_url or self.query_url, reason)
        if total_count is not None and len(entries) < total_count:
            # The API is known to answer a page with no entries now and then; a partial day is not the day.
            reason = f"got {len(entries)} of the {total_count} results the API announced; try again later"
            raise FetchError(FEED, day, first_url, reason)
        return entries, total_count, first_url

    def _params(self, query: str, start: int, sort_by: str = "submittedDate") -> dict[str, str | int]:
        return {
            "search_query": query,
            "start": start,
            "max_results": self.page_size,
            "sortBy": sort_by,
            "sortOrder": "descending",
        }

    def _read_page(self, response: Response, day: date, start: int) -> ET.Element:
        root, issue = read_feed(response.content, response.url)
        if issue:
            reason = f"page start={start} is unusable: {issue.message} [{issue.rule}]"
            raise FetchError(FEED, day, response.url, reason, response.status_code)
        if (message := api_error(root)) is not None:
            raise FetchError(FEED, day, response.url, f"arXiv API error: {message}", response.status_code)
        return root


def from_env(environ: Mapping[str, str] = os.environ, **options: Any) -> ArxivFeed:
    """The feed as configured by $PAPERLAKE_ARXIV_URL, $PAPERLAKE_ARXIV_CATEGORIES (comma-separated),
    $PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS (only lower it for a local replay server), $PAPERLAKE_ARXIV_SETTLE_DAYS
    and $PAPERLAKE_HTTP_*."""
    settings = settings_from_env(environ, options.pop("settings", POLITE_SETTINGS))
    options.setdefault("settling", settling_of(environ))
    if interval := environ.get(INTERVAL_ENV, "").strip():
        settings = replace(settings, min_interval_seconds=float(interval))
    categories = [c.strip() for c in environ.get(CATEGORIES_ENV, "").split(",") if c.strip()]
    if categories:
        options.setdefault("categories", categories)
    return ArxivFeed(environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL, settings=settings, **options)


def settling_of(environ: Mapping[str, str] = os.environ) -> Settling:
    """SETTLING, with the settle period from $PAPERLAKE_ARXIV_SETTLE_DAYS if set."""
    return settling_from_env(SETTLING, environ, SETTLE_DAYS_ENV)


def search_query(categories: Iterable[str], day: date, field: str = "submittedDate") -> str:
    """`(cat:cs.LG OR cat:cs.CV) AND submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]` (times are GMT).

    `field`: submittedDate (the first version's submission) or lastUpdatedDate (the latest version's).
    """
    either = " OR ".join(f"cat:{category}" for category in categories)
    stamp = day.strftime("%Y%m%d")
    return f"({either}) AND {field}:[{stamp}0000 TO {stamp}2359]"


def is_replacement(entry: ET.Element, day: date) -> bool:
    """A new version (v2 or later) of a paper first submitted before `day`: a replacement in `day`'s
    listing. A paper first submitted on `day` is in that day's submissions already, at its latest version."""
    split = split_versioned_id(_text(entry, "id") or "")
    published_at = parse_utc(_text(entry, "published") or "")
    return split is not None and (split[1] or 1) >= 2 and published_at is not None and published_at.date() < day


def day_document(entries: list[ET.Element], query: str, total_count: int | None) -> bytes:
    """A feed-day's payload: every page's entries, in id order (the API's order is not stable between
    requests), under a header that only holds what is stable for the query, so the same listing
    fetched again has the same bytes."""
    ordered = sorted(entries, key=lambda entry: _text(entry, "id") or "")
    return atom_feed(ordered, title=f"arXiv query: {query}", total_count=total_count)


def canonical_answer(content: bytes) -> bytes:
    """A saved API answer as the live fetch stores its query's day, when the file holds the whole answer
    (the first page, with every announced result), so importing it and fetching it give one snapshot.

    Anything else is returned unchanged: what its parser will explain, or one page of several, which
    is no feed-day's payload.
    """
    root, issue = read_feed(content, "")
    if issue or api_error(root) is not None:
        return content
    match = API_TITLE.match(_text(root, "title") or "")
    entries = root.findall(ENTRY_TAG)
    if not match or match["start"] != "0" or total_results(root) != len(entries):
        return content
    updated = UPDATED_DAY.search(match["query"])
    if updated and updated["first"] == updated["last"]:  # a day's new versions: keep its replacements, as the fetch does
        day = date(int(updated["first"][:4]), int(updated["first"][4:6]), int(updated["first"][6:]))
        entries = [entry for entry in entries if is_replacement(entry, day)]
    return day_document(entries, match["query"], len(entries))


def is_rate_exceeded(response: Response) -> bool:
    return response.content.strip() == RATE_EXCEEDED


def error_answer(response: Response) -> str | None:
    """arXiv's own words for an answer it refused (HTTP 400 with an `Error` entry), else None."""
    root, issue = read_feed(response.content, response.url)
    message = api_error(root) if issue is None else None
    return f"arXiv API error: {message}" if message is not None else None


def looks_like_atom(head: bytes) -> bool:
    """True if a saved file's first bytes (BOM and leading whitespace removed) are an Atom feed."""
    # An XML declaration alone could be anything; the Atom namespace or a <feed> root decides.
    if not head.startswith(b"<"):
        return False
    lowered = head.lower()
    return b"<feed" in lowered or b"http://www.w3.org/2005/atom" in lowered


# ---- parsing (pure) ----


def parse(content: bytes, source: str) -> ParseResult:
    root, issue = read_feed(content, source)
    if issue:
        return ParseResult(parsed_frame([]), [issue])
    if (message := api_error(root)) is not None:
        return ParseResult(parsed_frame([]), [ParseIssue(source, "api_error", f"arXiv API error: {message}")])
    records, issues = [], []
    for rank, entry in enumerate(root.findall(ENTRY_TAG), start=1):
        record, entry_issues = read_entry(entry, rank, source)
        if record:
            records.append(record)
        else:  # a dropped entry is a row reject: its XML goes to the quarantine with the issue
            entry_issues = rejected(entry_issues, ET.tostring(entry, encoding="unicode"))
        issues.extend(entry_issues)
    return ParseResult(parsed_frame(records), issues)


def read_feed(content: bytes, source: str) -> tuple[ET.Element | None, ParseIssue | None]:
    """The payload's Atom `<feed>` element, or the one issue that says why there is none."""
    stripped = content.strip()
    if stripped == RATE_EXCEEDED:
        message = "arXiv throttled the request (`Rate exceeded.`), no Atom feed"
        return None, ParseIssue(source, "rate_exceeded", message, 1)
    if not stripped:
        return None, ParseIssue(source, "empty", "the payload is empty")
    head = stripped[:200].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        message = f"an HTML page where Atom was expected: {_excerpt(stripped)!r}"
        return None, ParseIssue(source, "html_instead_of_atom", message, 1)
    if not stripped.startswith(b"<"):
        return None, ParseIssue(source, "not_xml", f"plain text where Atom was expected: {_excerpt(stripped)!r}", 1)
    try:
        root = ET.fromstring(content) if without_dtd(content) else SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as err:
        message = f"refused unsafe XML ({type(err).__name__}): DTDs and entity declarations are not allowed"
        return None, ParseIssue(source, "unsafe_xml", message)
    except ET.ParseError as err:
        line = err.position[0] if err.position else None
        return None, ParseIssue(source, "invalid_xml", f"invalid XML: {err}", line)
    except LookupError as err:  # the XML declaration names an encoding there is no codec for
        return None, ParseIssue(source, "invalid_xml", f"invalid XML: {err}", 1)
    if root.tag != FEED_TAG:
        return None, ParseIssue(source, "not_atom_feed", f"root element is {root.tag!r}, not an Atom <feed>")
    stack = [(root, 1)]  # Atom nests 4 deep; copying or writing a far deeper tree ends in RecursionError
    while stack:
        element, depth = stack.pop()
        if depth > 64:
            return None, ParseIssue(source, "invalid_xml", "XML nested too deeply to be an Atom feed (over 64 levels)")
        stack.extend((child, depth + 1) for child in element)
    return root, None


UTF8_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding=[\"'](?:utf-8|utf8|us-ascii)[\"']", re.IGNORECASE)
NO_DECLARED_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml(?:(?!encoding)[^>])*\?>|<[^?])")


def without_dtd(content: bytes) -> bool:
    """True if the document cannot declare an entity: UTF-8 (so the bytes say what the parser reads)
    with no `<!DOCTYPE` or `<!ENTITY` anywhere. Such a document is read by expat's C parser directly;
    anything else goes through defusedxml, whose parser is pure Python (twice as slow on a day of Atom)."""
    head = content[:300]
    utf8 = UTF8_DECLARATION.match(head) or NO_DECLARED_ENCODING.match(head)
    return bool(utf8) and b"\x00" not in content and b"<!DOCTYPE" not in content and b"<!ENTITY" not in content


def api_error(root: ET.Element) -> str | None:
    """The message of arXiv's error answer: a single entry titled `Error` whose id is not a paper."""
    entries = root.findall(ENTRY_TAG)
    if len(entries) != 1 or _text(entries[0], "title") != "Error":
        return None
    entry_id = _text(entries[0], "id") or ""
    if split_versioned_id(entry_id) is not None:
        return None  # a real paper that happens to be titled "Error"
    return _text(entries[0], "summary") or entry_id or "unspecified error"


def total_results(root: ET.Element) -> int | None:
    text = root.findtext(TOTAL_RESULTS_TAG)
    return int(text) if text and text.strip().isdigit() else None


def read_entry(entry: ET.Element, rank: int, source: str) -> tuple[dict | None, list[ParseIssue]]:
    where = f"entry {rank}"
    entry_id, title = _text(entry, "id"), _text(entry, "title")
    missing = [name for name, value in (("<id>", entry_id), ("<title>", title)) if not value]
    if missing:
        return None, [ParseIssue(source, "missing_field", f"{where} has no {' and no '.join(missing)}; entry skipped")]
    split = split_versioned_id(entry_id)
    if split is None:
        message = f"{where}: <id> {entry_id!r} is not an arXiv abs URL; entry skipped"
        return None, [ParseIssue(source, "invalid_id", message)]
    issues: list[ParseIssue] = []
    published_at = _timestamp(entry, "published", where, source, issues)
    updated_at = _timestamp(entry, "updated", where, source, issues)
    abstract = _text(entry, "summary")
    comment = _text(entry, "comment", ARXIV_NS)
    primary = entry.find(f"{{{ARXIV_NS}}}primary_category")
    primary_category = collapse_whitespace(primary.get("term") or "") or None if primary is not None else None
    # Every <category term> in the entry's order, the primary one first if arXiv left it out.
    categories = [term for c in entry.findall(f"{{{ATOM_NS}}}category") if (term := collapse_whitespace(c.get("term") or ""))]
    if primary_category and primary_category not in categories:
        categories.insert(0, primary_category)
    record = {
        "rank": rank,
        "title": title,
        "abstract": abstract,
        "arxiv_id": split[0],
        "arxiv_version": split[1],
        "authors": [name for a in entry.findall(f"{{{ATOM_NS}}}author") if (name := _text(a, "name"))],
        "published_date": published_at.date() if published_at else None,
        # <updated> dates the version listed here: the papers row shows the newest version's text.
        "version_date": updated_at.date() if updated_at else None,
        "withdrawn_at": updated_at if _is_withdrawn(abstract, comment) else None,
        "primary_category": primary_category,
        "categories": list(dict.fromkeys(categories)) or None,
        "arxiv_comment": comment,
        "journal_ref": _text(entry, "journal_ref", ARXIV_NS),
        "doi": _text(entry, "doi", ARXIV_NS),
        # Not kept: <link>s (the abs and pdf URLs follow from the id and version), <author><arxiv:affiliation>
        # (rare and free-form; an author is a name here), and the category scheme (always arXiv's).
    }
    return record, issues


def _is_withdrawn(abstract: str | None, comment: str | None) -> bool:
    # A withdrawn version's abstract or comment is a notice; that version's <updated> dates the withdrawal.
    return any(text and WITHDRAWN.search(text) for text in (abstract, comment))


def _timestamp(entry: ET.Element, tag: str, where: str, source: str, issues: list[ParseIssue]) -> datetime | None:
    text = _text(entry, tag)
    if text is None:
        return None
    moment = parse_utc(text)
    if moment is None:
        message = f"{where}: <{tag}> {text!r} is not an ISO 8601 timestamp; read as null"
        issues.append(ParseIssue(source, "bad_timestamp", message))
    return moment


def _text(element: ET.Element, tag: str, namespace: str = ATOM_NS) -> str | None:
    text = element.findtext(f"{{{namespace}}}{tag}")
    if text is None:
        return None
    return collapse_whitespace(text) or None


def _excerpt(content: bytes, limit: int = 80) -> str:
    text = " ".join(content[: limit * 4].decode("utf-8", errors="replace").split())
    return text[:limit] + ("…" if len(text) > limit else "")
