"""Hugging Face daily papers: `GET /api/daily_papers?date=YYYY-MM-DD&p=N&limit=L`, a JSON list per page.

One feed-day is one Payload: the pages' lists joined into one JSON list, each item's bytes kept
as the server sent them (nothing is decoded and re-encoded, so no float or key-order drift). The
same listing fetched again has the same sha256, whatever the page size, since the API writes its
lists compactly (`[{...},{...}]`) and the join uses the same comma.

The parser is pure and never raises on bad input. JSON numbers are read as Decimal so an id that
arrives as a number keeps its digits (2503.02130 must not become 2503.0213).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

from feeds.fields import collapse_whitespace, is_arxiv_id, parse_utc
from feeds.http import HttpClient, HttpFeed, utc_now
from feeds.http_response import FetchError
from feeds.http_settings import HttpSettings, settings_from_env
from feeds.json_lists import UTF8_BOM, compact_json, join_json_lists, looks_like_json  # noqa: F401  (re-exported)
from feeds.payload import Payload, ParseIssue, ParseResult, parsed_frame, rejected
from feeds.settling import Settling, settling_from_env

FEED = "hf_daily"
FORMAT = "hf_json"
BASE_URL_ENV = "PAPERLAKE_HF_URL"
TOKEN_ENV = "PAPERLAKE_HF_TOKEN"
TOKEN_BLOCK_ENV = "PAPERLAKE_HF_TOKEN_SECRET"  # or the name of a Prefect Secret block holding it
DEFAULT_BASE_URL = "https://huggingface.co"
LISTING_PATH = "/api/daily_papers"
# The API serves up to 100 items a page; 50 matches its own default and keeps pages small.
DEFAULT_PAGE_SIZE = 50
# A real day has well under 100 papers; a server that ignores `p` would otherwise page forever.
DEFAULT_MAX_PAGES = 20
# A day's list fills through the day and the next morning, and its upvote and comment counts move for
# about two weeks: a day is final once fetched 15 days after it began (UTC) with its list unchanged for the
# last 2 days, or once 30 days old whatever it does. Today can already have papers.
SETTLING = Settling(settle_days=15, newest_day_lag_days=0, quiet_days=2, max_settle_days=30)
SETTLE_DAYS_ENV = "PAPERLAKE_HF_SETTLE_DAYS"
# A backfill gathers a feed's fetched days into loads (flows/backfill.py). A day of this list updates
# the upvotes of papers listed days to weeks before, and the papers MERGE rewrites every file it
# touches: a year in one load (15 MB of JSON) left 1.27 GB resident. Two months a load: a 2016 year
# in 7 loads, not 13, at the same peak (1,139 MB against 1,128 with a month); each load costs about 1 s.
MAX_LOAD_DAY_COUNT = 62

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class HfDailyFeed(HttpFeed):
    name = FEED

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        settings: HttpSettings = HttpSettings(),
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = DEFAULT_MAX_PAGES,
        settling: Settling = SETTLING,
        clock: Callable[[], datetime] = utc_now,
        http: HttpClient | None = None,
    ):
        self.listing_url = base_url.rstrip("/") + LISTING_PATH
        self.page_size, self.max_pages = page_size, max_pages
        self.settling = settling
        self._clock = clock
        self.http = http or HttpClient(FEED, settings)

    def fetch(self, day: date) -> list[Payload]:
        """The day's listing as one Payload; any failing page raises FetchError, so a day is all or nothing."""
        bodies, first_url = [], None
        for page_index in range(self.max_pages):
            params = {"date": day.isoformat(), "p": page_index, "limit": self.page_size}
            response = self.http.get(self.listing_url, params, day=day)
            first_url = first_url or response.url
            items, issue = read_list(response.content, response.url)
            if issue:
                reason = f"page p={page_index} is unusable: {issue.message} [{issue.rule}]"
                raise FetchError(FEED, day, response.url, reason, response.status_code)
            bodies.append(response.content)
            if len(items) < self.page_size:
                break
        else:
            reason = f"still full pages after {self.max_pages} pages; is the server ignoring p=?"
            raise FetchError(FEED, day, first_url or self.listing_url, reason)
        content = join_json_lists(bodies)
        return [Payload(FEED, first_url, FORMAT, content, day, self._clock())]


def from_env(environ: Mapping[str, str] = os.environ, **options: Any) -> HfDailyFeed:
    """The feed as configured by $PAPERLAKE_HF_URL, $PAPERLAKE_HF_TOKEN (or $PAPERLAKE_HF_TOKEN_SECRET, a
    Prefect Secret block's name), $PAPERLAKE_HF_SETTLE_DAYS and $PAPERLAKE_HTTP_*; `options` go to HfDailyFeed."""
    settings = settings_from_env(environ, options.pop("settings", HttpSettings()))
    options.setdefault("settling", settling_of(environ))
    if token := environ.get(TOKEN_ENV, "").strip() or _token_from_block(environ.get(TOKEN_BLOCK_ENV, "").strip()):
        settings = replace(settings, token=token)
    return HfDailyFeed(environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL, settings=settings, **options)


def settling_of(environ: Mapping[str, str] = os.environ) -> Settling:
    """SETTLING, with the settle period from $PAPERLAKE_HF_SETTLE_DAYS if set."""
    return settling_from_env(SETTLING, environ, SETTLE_DAYS_ENV)


def _token_from_block(block_name: str) -> str | None:
    """The token kept in a Prefect Secret block, so it need not sit in a deployment's environment."""
    if not block_name:
        return None
    from prefect.blocks.system import Secret

    return str(Secret.load(block_name).get()).strip() or None


# ---- parsing (pure) ----


def parse(content: bytes, source: str) -> ParseResult:
    items, issue = read_list(content, source)
    if issue:
        return ParseResult(parsed_frame([]), [issue])
    records, issues = [], []
    for rank, item in enumerate(items, start=1):
        record, item_issues = read_item(item, rank, source)
        if record:
            records.append(record)
        else:  # a dropped item is a row reject: its JSON goes to the quarantine with the issue
            item_issues = rejected(item_issues, json.dumps(item, ensure_ascii=False, default=str))
        issues.extend(item_issues)
    return ParseResult(parsed_frame(records), issues)


def canonical_json_list(content: bytes) -> bytes:
    """A saved answer as the live fetch stores it (compact, see feeds.json_lists), if it is a JSON list;
    anything else unchanged, so the parser can say what is wrong with it."""
    _, issue = read_list(content, "")
    return content if issue else compact_json(content)


def read_list(content: bytes, source: str) -> tuple[list, ParseIssue | None]:
    """The payload as a JSON list, or the one issue that says why it is not one."""
    body = content.removeprefix(UTF8_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        return [], ParseIssue(source, "not_utf8", f"not UTF-8: byte 0x{body[err.start]:02x} at offset {err.start}")
    stripped = text.strip()
    if not stripped:
        return [], ParseIssue(source, "empty", "the payload is empty")
    if stripped.startswith("<"):
        return [], ParseIssue(source, "html_instead_of_json", f"an HTML/XML page where JSON was expected: {_excerpt(stripped)!r}", 1)
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as err:
        return [], _json_issue(err, source)
    except RecursionError:  # `[[[[...` nested deeper than Python's stack: no listing is
        return [], ParseIssue(source, "invalid_json", "JSON nested too deeply to be a listing")
    if not isinstance(value, list):
        return [], ParseIssue(source, "not_json_list", f"expected a JSON list, got a JSON {_kind(value)}: {_excerpt(stripped)!r}")
    return value, None


def read_item(item: Any, rank: int, source: str) -> tuple[dict | None, list[ParseIssue]]:
    """One listing item as a sighting record; None (with issues) if it has no id or no title."""
    where = f"item {rank}"
    if not isinstance(item, dict):
        return None, [ParseIssue(source, "not_json_object", f"{where} is a JSON {_kind(item)}, not an object")]
    paper = item.get("paper")
    if not isinstance(paper, dict):
        return None, [ParseIssue(source, "missing_field", f"{where} has no `paper` object")]
    fields = _Fields(source, where)
    raw_id = paper.get("id")
    # A present but malformed id (say with a vN suffix) is kept as given: the validation gate
    # quarantines that row under its rule. Only a row with no id or no title at all is skipped.
    arxiv_id = _read_id(raw_id, fields) if raw_id is not None else None
    title = fields.text(paper, "title") or fields.text(item, "title")
    if arxiv_id is None or title is None:
        missing = [name for name, absent in (("paper.id", raw_id is None), ("title", title is None)) if absent]
        if missing:
            fields.note("missing_field", f"has no {' and no '.join(missing)}; item skipped")
        return None, fields.issues
    record = {
        "rank": rank,
        "title": title,
        "abstract": fields.text(paper, "summary") or fields.text(item, "summary"),
        "arxiv_id": arxiv_id,
        "authors": fields.authors(paper),
        "published_date": _date_of(fields.timestamp(paper, "publishedAt")),
        "upvotes": fields.count(paper, "upvotes"),
        "comment_count": fields.count(item, "numComments"),
        "github_repo": fields.text(paper, "githubRepo") or fields.text(item, "githubRepo"),
        # `ai_keywords` is what the API names them; `keywords` is read where an answer has only that.
        "ai_keywords": fields.strings(paper, "ai_keywords") or fields.strings(paper, "keywords"),
        "withdrawn_at": fields.timestamp(paper, "withdrawnAt"),
        # Not kept: the authors' HF `_id`s and `hidden` flags (a name is the key here; a hidden author
        # has no name to keep), `thumbnail`, `discussionId`, `isAuthorParticipating`, `submittedBy`
        # (about the HF page, not the paper), `ai_summary` (a machine paraphrase of the abstract we keep),
        # `githubStars` and `projectPage` (no use for them yet), `mediaUrls`.
    }
    return record, fields.issues


def _read_id(value: Any, fields: _Fields) -> str | None:
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        # A number's digits as written (Decimal keeps 2503.02130); usable only if still a valid id,
        # since a float may have eaten a trailing zero (2503.0213 is another paper's id).
        digits = str(value)
        if is_arxiv_id(digits):
            fields.note("id_not_string", f"paper.id is the JSON number {digits}; kept as the string {digits!r}")
            return digits
        fields.note("invalid_id", f"paper.id is the JSON number {digits}, not a valid arXiv id; item skipped")
        return None
    if not isinstance(value, str) or not value.strip():
        fields.note("invalid_id", f"paper.id {value!r} is not an arXiv id; item skipped")
        return None
    return value.strip()


class _Fields:
    """Typed reads of optional fields: a value of the wrong type becomes null plus an issue."""

    def __init__(self, source: str, where: str):
        self.source, self.where = source, where
        self.issues: list[ParseIssue] = []

    def note(self, rule: str, message: str) -> None:
        self.issues.append(ParseIssue(self.source, rule, f"{self.where}: {message}"))

    def _typed(self, obj: dict, key: str, kinds: tuple[type, ...], expected: str) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        # bool is an int subclass in Python, but `true` is no upvote count.
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            self.note("wrong_type", f"`{key}` should be {expected}, got {_kind(value)} {_excerpt(repr(value))}; read as null")
            return None
        return value

    def text(self, obj: dict, key: str) -> str | None:
        value = self._typed(obj, key, (str,), "a string")
        if value is None:
            return None
        return collapse_whitespace(value) or None

    def count(self, obj: dict, key: str) -> int | None:
        value = self._typed(obj, key, (int,), "an integer")
        if value is not None and not INT32_MIN <= value <= INT32_MAX:  # the lake keeps counts as Int32
            self.note("out_of_range", f"`{key}` {value} is out of range for a count; read as null")
            return None
        return value

    def strings(self, obj: dict, key: str) -> list[str] | None:
        value = self._typed(obj, key, (list,), "a list of strings")
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            self.note("wrong_type", f"`{key}` should hold only strings; read as null")
            return None
        return value

    def authors(self, paper: dict) -> list[str] | None:
        value = self._typed(paper, "authors", (list,), "a list of {name} objects")
        if value is None:
            return None
        # An author without a name (HF hides some) is left out rather than failing the paper.
        return [collapse_whitespace(a["name"]) for a in value if isinstance(a, dict) and isinstance(a.get("name"), str)]

    def timestamp(self, obj: dict, key: str) -> datetime | None:
        value = self._typed(obj, key, (str,), "an ISO 8601 timestamp")
        if value is None:
            return None
        moment = parse_utc(value)
        if moment is None:
            self.note("bad_timestamp", f"`{key}` {value!r} is not an ISO 8601 timestamp; read as null")
        return moment


def _date_of(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def _json_issue(err: ValueError, source: str) -> ParseIssue:
    if isinstance(err, json.JSONDecodeError):
        message = f"invalid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        return ParseIssue(source, "invalid_json", message, err.lineno)
    return ParseIssue(source, "invalid_json", f"invalid JSON: {err}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _kind(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", Decimal: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")
