"""What the replay server answers on the two APIs' paths: sample files by day, the real formats and errors.

Shared by the samples mode (paperlake.replay) and the living world (paperlake.living_server).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # building only; sample files are parsed with defusedxml
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Mapping

from defusedxml import ElementTree as SafeET

from feeds import arxiv
from feeds.fields import parse_utc

HF_PATH = "/api/daily_papers"
ARXIV_PATH = "/api/query"
# A living world's controls (paperlake.living_server): read or move its clock, read its truth.
CLOCK_PATH, TRUTH_PATH = "/_clock", "/_truth"
CONTROL_PATHS = (CLOCK_PATH, TRUTH_PATH)
JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
HF_MAX_LIMIT = 100
ARXIV_MAX_RESULTS = 30000
SUBMITTED_RANGE = re.compile(r"submittedDate:\[(?P<start>\d{8})\d{4} TO (?P<end>\d{8})\d{4}\]")
UPDATED_RANGE = re.compile(r"lastUpdatedDate:\[(?P<start>\d{8})\d{4} TO (?P<end>\d{8})\d{4}\]")
CATEGORY = re.compile(r"\bcat:(?P<category>[\w.\-]+)")
ATOM = arxiv.ATOM_PREFIX


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


# ---- the daily papers API ----


def hf_answer(samples_dir: Path, params: Mapping[str, str]) -> Answer:
    return hf_page_answer(params, lambda day: hf_day_items(samples_dir, day))


def hf_page_answer(params: Mapping[str, str], items_for: Callable[[date], list]) -> Answer:
    """One page of a day's listing, whoever provides the listing (sample files or a living world)."""
    day = _iso_day(params.get("date", ""))
    if day is None:
        return _json_error(400, f"Invalid date {params.get('date', '')!r}: expected YYYY-MM-DD")
    try:
        page_index, limit = int(params.get("p", "0")), int(params.get("limit", "50"))
    except ValueError:
        return _json_error(400, "p and limit must be integers")
    if page_index < 0 or not 1 <= limit <= HF_MAX_LIMIT:
        return _json_error(400, f"p must be >= 0 and limit between 1 and {HF_MAX_LIMIT}")
    items = items_for(day)
    page = items[page_index * limit : (page_index + 1) * limit]
    # Compact like the real API, and so pages join into exactly the one-page document.
    return Answer(200, json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), JSON_TYPE)


def hf_day_items(samples_dir: Path, day: date) -> list:
    """A day's listing; a day with no sample file is an empty listing, as on a weekend."""
    path = samples_dir / "hf_daily" / f"{day.isoformat()}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else []


def _json_error(status: int, message: str) -> Answer:
    return Answer(status, json.dumps({"error": message}).encode("utf-8"), JSON_TYPE)


# ---- the arXiv API ----


def arxiv_answer(samples_dir: Path, params: Mapping[str, str]) -> Answer:
    query = params.get("search_query", "")
    paging = arxiv_paging(params)
    if isinstance(paging, str):
        return arxiv_error_answer(paging)
    start, max_results = paging
    days = _submitted_days(query)
    updated_days = _query_days(UPDATED_RANGE, query)
    if days is None and updated_days is None:
        return arxiv_error_answer("the replay server only answers submittedDate:[...] or lastUpdatedDate:[...] queries")
    categories = set(CATEGORY.findall(query))
    if days is None:  # the latest version's date: any sample day's entries may have been updated then
        days = updated_days
        entries = [e for e in _all_entries(samples_dir) if _updated_day(e) in updated_days and _in_categories(e, categories)]
    else:
        entries = [e for day in days for e in arxiv_day_entries(samples_dir, day) if _in_categories(e, categories)]
    if params.get("sortBy") == "submittedDate":
        newest_first = params.get("sortOrder") != "ascending"
        entries.sort(key=lambda e: e.findtext(f"{ATOM}published") or "", reverse=newest_first)
    # The real API stamps each answer with the request day; the day after the query's last is as close as a replay gets.
    return arxiv_page_answer(entries, query, start, max_results, "http://arxiv.org/api/replay", f"{(days[-1] + timedelta(days=1)).isoformat()}T00:00:00-05:00")


def arxiv_page_answer(entries: list, query: str, start: int, max_results: int, feed_id: str, updated: str) -> Answer:
    """One page of an arXiv answer as the API writes it (title, opensearch counts), from all of the query's entries."""
    page = entries[start : start + max_results]
    body = arxiv.atom_feed(
        page,
        title=f"ArXiv Query: search_query={query}&id_list=&start={start}&max_results={max_results}",
        total_count=len(entries),
        start_index=start,
        items_per_page=len(page),
        feed_id=feed_id,
        updated=updated,
    )
    return Answer(200, body, ATOM_TYPE)


def arxiv_paging(params: Mapping[str, str]) -> tuple[int, int] | str:
    """(start, max_results) from the query string, or the message arXiv's Error entry gives."""
    try:
        start, max_results = int(params.get("start", "0")), int(params.get("max_results", "10"))
    except ValueError:
        return "start and max_results must be integers"
    if start < 0 or not 0 <= max_results <= ARXIV_MAX_RESULTS:
        return f"start must be non-negative and max_results at most {ARXIV_MAX_RESULTS}"
    return start, max_results


def arxiv_day_entries(samples_dir: Path, day: date) -> list:
    path = samples_dir / "arxiv" / f"{day.isoformat()}.xml"
    if not path.exists():
        return []
    return SafeET.fromstring(path.read_bytes(), forbid_dtd=True).findall(arxiv.ENTRY_TAG)


def arxiv_error_answer(message: str) -> Answer:
    """arXiv's way of saying "bad query": HTTP 200 and a feed with one entry titled Error."""
    return Answer(200, arxiv_error_feed(message), ATOM_TYPE)


def arxiv_error_feed(message: str) -> bytes:
    error_id = "http://arxiv.org/api/errors#" + re.sub(r"\W+", "_", message.lower()).strip("_")
    entry = ET.Element(f"{ATOM}entry")
    for tag, text in (("id", error_id), ("title", "Error"), ("summary", message), ("updated", "2024-01-01T00:00:00-05:00")):
        ET.SubElement(entry, f"{ATOM}{tag}").text = text
    return arxiv.atom_feed([entry], title="ArXiv Query: error", total_count=1, items_per_page=1, feed_id=error_id)


def _all_entries(samples_dir: Path) -> list:
    paths = sorted((samples_dir / "arxiv").glob("*.xml"))
    return [e for path in paths for e in arxiv_day_entries(samples_dir, date.fromisoformat(path.stem))]


def _updated_day(entry) -> date | None:
    moment = parse_utc(entry.findtext(f"{ATOM}updated") or "")
    return moment.date() if moment else None


def _submitted_days(query: str) -> list[date] | None:
    return _query_days(SUBMITTED_RANGE, query)


def _query_days(pattern: re.Pattern, query: str) -> list[date] | None:
    match = pattern.search(query)
    if not match:
        return None
    first, last = _compact_day(match["start"]), _compact_day(match["end"])
    if first is None or last is None or last < first:
        return None
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _in_categories(entry, categories: set[str]) -> bool:
    if not categories:
        return True
    terms = {c.get("term") for c in entry.findall(f"{ATOM}category")}
    return bool(terms & categories)


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _compact_day(text: str) -> date | None:
    return _iso_day(f"{text[:4]}-{text[4:6]}-{text[6:]}")
