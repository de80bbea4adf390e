"""arXiv API: one day's submissions in some categories, as Atom (`GET /api/query?search_query=...`).

One feed-day is one Payload: the pages' `<entry>` elements gathered into one Atom feed whose
header holds only what is stable for the query (the API stamps each response with the time of
the request), so identical answers give identical bytes and the same sha256.

Quirks of the real service handled here: a bad query is answered with a single entry titled
`Error` (HTTP 400 today, HTTP 200 in older answers), whose message is what a failure reports;
throttling can be a plain-text body `Rate exceeded.`; its terms ask for one request every three
seconds. Reading the answers is feeds/arxiv_parse.py's (pure; DTDs refused outright).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET  # types only: parsing is feeds.arxiv_parse's, writing feeds.atom's
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping

from feeds.arxiv_parse import RATE_EXCEEDED, api_error, child_text, looks_like_atom, parse, read_feed, total_results  # noqa: F401 (parse, looks_like_atom: the feed's parser)
from feeds.atom import ARXIV_NS, ATOM_NS, ATOM_PREFIX, ENTRY_TAG, FEED_TAG, OPENSEARCH_NS, TOTAL_RESULTS_TAG, atom_feed  # noqa: F401
from feeds.fields import parse_utc, split_versioned_id
from feeds.http import HttpClient, HttpFeed, utc_now
from feeds.http_response import FetchError, Response
from feeds.http_settings import HttpSettings, settings_from_env
from feeds.payload import Payload
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
    split = split_versioned_id(child_text(entry, "id") or "")
    published_at = parse_utc(child_text(entry, "published") or "")
    return split is not None and (split[1] or 1) >= 2 and published_at is not None and published_at.date() < day


def day_document(entries: list[ET.Element], query: str, total_count: int | None) -> bytes:
    """A feed-day's payload: every page's entries, in id order (the API's order is not stable between
    requests), under a header that only holds what is stable for the query, so the same listing
    fetched again has the same bytes."""
    ordered = sorted(entries, key=lambda entry: child_text(entry, "id") or "")
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
    match = API_TITLE.match(child_text(root, "title") or "")
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
