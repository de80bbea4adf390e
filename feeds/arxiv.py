"""arXiv API: one day's submissions in some categories, as Atom (`GET /api/query?search_query=...`).

One feed-day is one Payload: the pages' `<entry>` elements gathered into one Atom feed whose
header holds only what is stable for the query (the API stamps each response with the time of
the request), so identical answers give identical bytes and the same sha256.

Quirks of the real service handled here: a bad query is HTTP 200 with a single entry titled
`Error`; throttling can be a plain-text body `Rate exceeded.`; its terms ask for one request
every three seconds. XML is parsed with defusedxml and DTDs are refused outright (Atom has none),
so entity-expansion bombs fail fast as a parse issue.
"""

from __future__ import annotations

import copy
import os
import re
import xml.etree.ElementTree as ET  # building and writing only; parsing goes through defusedxml
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from feeds.base import Payload, ParseIssue, ParseResult, parsed_frame
from feeds.fields import collapse_whitespace, parse_utc, split_versioned_id
from feeds.http import FetchError, HttpClient, HttpFeed, HttpSettings, Response, settings_from_env, utc_now

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

ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ARXIV_NS = "http://arxiv.org/schemas/atom"
# Write the conventional prefixes instead of ns0/ns1 (this only affects serialization).
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("opensearch", OPENSEARCH_NS)
ET.register_namespace("arxiv", ARXIV_NS)
ATOM_PREFIX = f"{{{ATOM_NS}}}"

FEED_TAG = f"{ATOM_PREFIX}feed"
ENTRY_TAG = f"{ATOM_PREFIX}entry"
TOTAL_RESULTS_TAG = f"{{{OPENSEARCH_NS}}}totalResults"
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
        clock: Callable[[], datetime] = utc_now,
        http: HttpClient | None = None,
    ):
        self.query_url = base_url.rstrip("/") + QUERY_PATH
        self.categories = tuple(categories)
        self.page_size, self.max_pages = page_size, max_pages
        self._clock = clock
        self.http = http or HttpClient(FEED, settings)

    def fetch(self, day: date) -> list[Payload]:
        """The day's submissions as one Payload; any failing page raises FetchError (all or nothing)."""
        query = search_query(self.categories, day)
        entries: list[ET.Element] = []
        total_count, first_url = None, None
        for page_index in range(self.max_pages):
            start = page_index * self.page_size
            params = self._params(query, start)
            response = self.http.get(self.query_url, params, day=day, is_throttled=is_rate_exceeded)
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
        content = atom_feed(entries, title=f"arXiv query: {query}", total_count=total_count)
        return [Payload(FEED, first_url, FORMAT, content, day, self._clock())]

    def _params(self, query: str, start: int) -> dict[str, str | int]:
        return {
            "search_query": query,
            "start": start,
            "max_results": self.page_size,
            "sortBy": "submittedDate",
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
    $PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS (only lower it for a local replay server) and $PAPERLAKE_HTTP_*."""
    settings = settings_from_env(environ, options.pop("settings", POLITE_SETTINGS))
    if interval := environ.get(INTERVAL_ENV, "").strip():
        settings = replace(settings, min_interval_seconds=float(interval))
    categories = [c.strip() for c in environ.get(CATEGORIES_ENV, "").split(",") if c.strip()]
    if categories:
        options.setdefault("categories", categories)
    return ArxivFeed(environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL, settings=settings, **options)


def search_query(categories: Iterable[str], day: date) -> str:
    """`(cat:cs.LG OR cat:cs.CV) AND submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]` (times are GMT)."""
    either = " OR ".join(f"cat:{category}" for category in categories)
    stamp = day.strftime("%Y%m%d")
    return f"({either}) AND submittedDate:[{stamp}0000 TO {stamp}2359]"


def is_rate_exceeded(response: Response) -> bool:
    return response.content.strip() == RATE_EXCEEDED


def atom_feed(
    entries: Iterable[ET.Element],
    *,
    title: str,
    total_count: int | None,
    start_index: int = 0,
    items_per_page: int | None = None,
    feed_id: str | None = None,
    updated: str | None = None,
) -> bytes:
    """An arXiv-style Atom document around `entries` (copied, not moved), written deterministically."""
    root = ET.Element(FEED_TAG)
    ET.SubElement(root, f"{{{ATOM_NS}}}title", type="html").text = title
    if feed_id:
        ET.SubElement(root, f"{{{ATOM_NS}}}id").text = feed_id
    if updated:
        ET.SubElement(root, f"{{{ATOM_NS}}}updated").text = updated
    if total_count is not None:
        ET.SubElement(root, TOTAL_RESULTS_TAG).text = str(total_count)
    ET.SubElement(root, f"{{{OPENSEARCH_NS}}}startIndex").text = str(start_index)
    if items_per_page is not None:
        ET.SubElement(root, f"{{{OPENSEARCH_NS}}}itemsPerPage").text = str(items_per_page)
    root.extend(copy.deepcopy(entry) for entry in entries)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + _atom_default_namespace(root) + "\n").encode("utf-8")


def _atom_default_namespace(root: ET.Element) -> str:
    """Serialize with Atom as the default namespace, as arXiv writes it (`<feed xmlns=...>`, not `<atom:feed>`).

    ET's own `default_namespace=` rejects the unprefixed attributes every Atom feed has, so the
    Atom tags are unqualified here and the root declares the namespace. That is only equivalent
    when no element was unqualified to begin with; otherwise the `atom:` prefix is kept.
    """
    if not all(isinstance(e.tag, str) and e.tag.startswith("{") for e in root.iter()):
        return ET.tostring(root, encoding="unicode")
    for element in root.iter():
        element.tag = element.tag.removeprefix(ATOM_PREFIX)
    root.set("xmlns", ATOM_NS)
    return ET.tostring(root, encoding="unicode")


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
        issues.extend(entry_issues)
        if record:
            records.append(record)
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
        root = SafeET.fromstring(content, forbid_dtd=True)
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
        "withdrawn_at": updated_at if _is_withdrawn(abstract, _text(entry, "comment", ARXIV_NS)) else None,
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
