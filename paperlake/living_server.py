"""Serving a LivingWorld: its answers at the server's clock, a control endpoint for that clock, and 429s.

    GET  /_clock                                   -> {"now": "2024-03-11T06:00:00Z", "ticking": false}
    POST /_clock {"now": "2024-03-11T06:00:00Z"}   -> the clock stops there (add "ticking": true to let it run on)
    GET  /_truth                                   -> LivingWorld.truth(now) as JSON

A test moves the clock of a server running in another process through this endpoint, then runs the
real flows against it: the world answers what the real APIs would answer at that moment.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Callable, Mapping

import httpx

from feeds.fields import parse_utc
from paperlake.living import LivingWorld, WorldSettings, WorldTruth
from paperlake.living_model import EASTERN
from paperlake.replay_answers import (
    arxiv_page_answer,
    ARXIV_PATH,
    ATOM_TYPE,
    HF_PATH,
    JSON_TYPE,
    TEXT_TYPE,
    Answer,
    arxiv_error_feed,
    arxiv_paging,
    hf_page_answer,
)

if TYPE_CHECKING:
    from paperlake.replay import ReplayServer  # which imports this module: world_server() imports it when called


def wall_clock() -> datetime:
    return datetime.now(UTC)


class ServerClock:
    """The server's idea of now: a callable (the wall clock by default) until someone sets it."""

    def __init__(self, clock: Callable[[], datetime] | None = None):
        self._clock = clock or wall_clock
        self._lock = threading.Lock()
        self._fixed_at: datetime | None = None
        self._offset: timedelta | None = None  # set when ticking: now = the clock + offset

    def now(self) -> datetime:
        with self._lock:
            if self._fixed_at is not None:
                return self._fixed_at
            return self._clock() + (self._offset or timedelta())

    @property
    def ticking(self) -> bool:
        return self._fixed_at is None

    def set(self, now_at: datetime, *, ticking: bool = False) -> None:
        if now_at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (UTC)")
        with self._lock:
            if ticking:
                self._fixed_at, self._offset = None, now_at - self._clock()
            else:
                self._fixed_at, self._offset = now_at.astimezone(UTC), None


class Throttle:
    """Answers a share of requests 429, seeded, and never the same request twice in a row,
    so a client that retries gets through."""

    def __init__(self, seed: int, share: float):
        self._rng = random.Random(f"throttle:{seed}")
        self._share = share
        self._just_throttled: set[tuple] = set()
        self._lock = threading.Lock()

    def should_throttle(self, path: str, params: Mapping[str, str]) -> bool:
        if self._share <= 0:
            return False
        request_key = (path, tuple(sorted(params.items())))
        with self._lock:
            if request_key in self._just_throttled:
                self._just_throttled.discard(request_key)
                return False
            if self._rng.random() < self._share:
                self._just_throttled.add(request_key)
                return True
            return False


def throttled_answer(retry_after_seconds: int) -> Answer:
    return Answer(429, b"Rate exceeded.\n", TEXT_TYPE, (("Retry-After", str(retry_after_seconds)),))


def clock_answer(clock: ServerClock, method: str, body: bytes) -> Answer:
    """GET shows the clock; POST `{"now": ISO, "ticking": false}` sets it."""
    if method == "POST":
        try:
            request = json.loads(body or b"{}")
            now_at = parse_utc(str(request["now"]))
            if now_at is None:
                raise ValueError(f"not an ISO 8601 timestamp: {request['now']!r}")
            clock.set(now_at, ticking=bool(request.get("ticking", False)))
        except (ValueError, KeyError, TypeError) as err:
            message = {"error": f'expected {{"now": "YYYY-MM-DDTHH:MM:SSZ"}}: {type(err).__name__}: {err}'}
            return Answer(400, json.dumps(message).encode(), JSON_TYPE)
    now = {"now": utc_text(clock.now()), "ticking": clock.ticking}
    return Answer(200, json.dumps(now).encode(), JSON_TYPE)


def truth_answer(world: LivingWorld, at: datetime) -> Answer:
    return Answer(200, json.dumps(truth_document(world.truth(at)), indent=1).encode(), JSON_TYPE)


def truth_document(truth: WorldTruth) -> dict:
    """The truth as JSON, for a test in another process: dates and times as ISO strings."""
    return {
        "at": utc_text(truth.at),
        "hf_lists": {day.isoformat(): list(paper_ids) for day, paper_ids in sorted(truth.hf_lists.items())},
        "hf_papers": {
            paper_id: {
                "listing_date": t.listing_date.isoformat(), "upvotes": t.upvote_count,
                "comment_count": t.comment_count, "settled": t.settled,
            }
            for paper_id, t in sorted(truth.hf_papers.items())
        },
        "arxiv_papers": {
            paper_id: {
                "version": t.version, "v1_date": t.v1_date.isoformat(), "updated_at": utc_text(t.updated_at),
                "categories": list(t.categories), "withdrawn": t.withdrawn,
            }
            for paper_id, t in sorted(truth.arxiv_papers.items())
        },
    }


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def set_remote_clock(base_url: str, now_at: datetime, *, ticking: bool = False) -> datetime:
    """Move the clock of a world server running elsewhere (`POST /_clock`); returns the clock it reports."""
    answer = httpx.post(base_url.rstrip("/") + "/_clock", json={"now": utc_text(now_at), "ticking": ticking}, timeout=10)
    answer.raise_for_status()
    return parse_utc(answer.json()["now"])


def world_answer(world: LivingWorld, path: str, params: Mapping[str, str], at: datetime) -> Answer:
    """What the real API answers at `at` in this world."""
    if path == HF_PATH:
        return hf_page_answer(params, lambda day: world.hf_items(day, at) if _in_past(day, at) else [])
    if path == ARXIV_PATH:
        return world_arxiv_answer(world, params, at)
    return Answer(404, f"not found: {path}\n".encode(), TEXT_TYPE)


def _in_past(day: date, at: datetime) -> bool:
    return day <= at.date()  # a date still to come has no list yet


def world_arxiv_answer(world: LivingWorld, params: Mapping[str, str], at: datetime) -> Answer:
    query = params.get("search_query", "")
    paging = arxiv_paging(params)
    if isinstance(paging, str):
        return world_arxiv_error(paging)
    start, max_results = paging
    try:
        entries = world.arxiv_entries(query, at, sort_by=params.get("sortBy"), descending=params.get("sortOrder") != "ascending")
    except ValueError as err:
        return world_arxiv_error(str(err))
    # arXiv stamps answers with the request time
    return arxiv_page_answer(entries, query, start, max_results, "http://arxiv.org/api/living-replay", at.astimezone(EASTERN).isoformat(timespec="seconds"))


def world_arxiv_error(message: str) -> Answer:
    # The arXiv API of 2026 answers a bad query HTTP 400 with its Error entry in the body.
    return Answer(400, arxiv_error_feed(message), ATOM_TYPE)


# ---- command line (python -m paperlake.replay --world SEED --start D --end D) ----


def add_world_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a living world instead of the samples")
    group.add_argument("--world", type=int, metavar="SEED", help="serve a seeded LivingWorld (needs --start and --end)")
    group.add_argument("--start", type=date.fromisoformat, help="the world's first day, YYYY-MM-DD")
    group.add_argument("--end", type=date.fromisoformat, help="the world's last day, YYYY-MM-DD")
    group.add_argument("--now", help="start the clock at this UTC time (ISO 8601); default: the wall clock")
    group.add_argument("--ticking", action="store_true", help="let the clock run on from --now (default: it stays put)")
    group.add_argument("--growth-days", type=float, help="days HF counts grow after listing")
    group.add_argument("--throttle-share", type=float, help="share of requests answered 429 (default 0.02)")


def world_server(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ReplayServer:
    from paperlake.replay import ReplayServer

    if args.start is None or args.end is None:
        parser.error("--world needs --start and --end")
    changes = {"count_growth_days": args.growth_days, "throttle_share": args.throttle_share}
    settings = replace(WorldSettings(), **{name: value for name, value in changes.items() if value is not None})
    server = ReplayServer(world=LivingWorld(args.start, args.end, seed=args.world, settings=settings), host=args.host, port=args.port)
    if args.now:
        now_at = parse_utc(args.now)
        if now_at is None:
            parser.error(f"--now {args.now!r} is not an ISO 8601 time")
        server.set_clock(now_at, ticking=args.ticking)
    return server
