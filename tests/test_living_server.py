"""The living world over HTTP (paperlake/living_server.py, ReplayServer(world=...)): the real feed clients
fetch from it at a moved clock, the clock moves through /_clock, and 429s let retries through."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pytest

from feeds.arxiv import ArxivFeed, parse as parse_arxiv
from feeds.hf_daily import HfDailyFeed, parse as parse_hf
from paperlake.living import LivingWorld, WorldSettings
from paperlake.living_server import Throttle, set_remote_clock
from paperlake.replay import ReplayServer
from tests.feeds.replay_fixtures import FAST, ROOT, SAMPLES

START, END = date(2024, 3, 4), date(2024, 3, 24)
QUIET = replace(WorldSettings(), throttle_share=0.0)
DAY = date(2024, 3, 12)  # a Tuesday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> LivingWorld:
    return LivingWorld(START, END, seed=11, settings=QUIET)


@pytest.fixture
def server(world):
    with ReplayServer(world=world, clock=lambda: at("2024-03-01T00:00:00")) as running:
        yield running


def hf_ids(base_url: str, day: date) -> list[str]:
    with HfDailyFeed(base_url, settings=FAST, page_size=3) as feed:  # small pages: paging is exercised too
        return sorted(parse_hf(feed.fetch(day)[0].content, "test").rows["arxiv_id"].to_list())


def arxiv_versions(base_url: str, day: date) -> dict[str, int]:
    with ArxivFeed(base_url, settings=replace(FAST, min_interval_seconds=0), page_size=4) as feed:
        rows = parse_arxiv(feed.fetch(day)[0].content, "test").rows
    return dict(zip(rows["arxiv_id"].to_list(), rows["arxiv_version"].to_list()))


def truth_versions(world: LivingWorld, moment: datetime, day: date) -> dict[str, int]:
    return {paper_id: t.version for paper_id, t in world.truth(moment).arxiv_papers.items() if t.v1_date == day}


def test_the_real_feed_clients_see_the_world_at_the_servers_clock(world, server):
    server.set_clock(at("2024-03-12T06:00:00"))
    assert hf_ids(server.base_url, DAY) == list(world.truth(at("2024-03-12T06:00:00")).hf_lists[DAY])  # a few at most
    assert arxiv_versions(server.base_url, DAY) == {}  # not announced before Tuesday 20:00 Eastern

    later = at("2024-03-20T06:00:00")
    server.set_clock(later)
    assert hf_ids(server.base_url, DAY) == list(world.truth(later).hf_lists[DAY]) != []
    assert arxiv_versions(server.base_url, DAY) == truth_versions(world, later, DAY) != {}


def test_the_clock_endpoint_reads_and_moves_the_clock(world, server):
    clock_url = server.base_url + "/_clock"
    assert httpx.get(clock_url).json()["now"] == "2024-03-01T00:00:00Z"
    moved = httpx.post(clock_url, json={"now": "2024-03-13T12:00:00Z"})
    assert moved.status_code == 200 and moved.json() == {"now": "2024-03-13T12:00:00Z", "ticking": False}
    assert server.clock.now() == at("2024-03-13T12:00:00")
    assert hf_ids(server.base_url, DAY) == list(world.truth(at("2024-03-13T12:00:00")).hf_lists[DAY])
    assert httpx.post(clock_url, content=b'{"now": "soon"}').status_code == 400
    assert httpx.post(clock_url, content=b"not json").status_code == 400
    assert server.clock.now() == at("2024-03-13T12:00:00")  # a bad request leaves the clock alone
    ticking = httpx.post(clock_url, json={"now": "2024-03-14T00:00:00Z", "ticking": True}).json()
    assert ticking["ticking"] and ticking["now"] >= "2024-03-14T00:00:00"
    assert all(r.path != "/_clock" for r in server.requests)  # control requests are not API traffic


def test_the_apis_answer_errors_like_the_real_ones(server):
    server.set_clock(at("2024-03-20T00:00:00"))
    assert httpx.get(server.base_url + "/api/daily_papers", params={"date": "2024-13-01"}).status_code == 400
    bad = httpx.get(server.base_url + "/api/query", params={"search_query": "ti:diffusion"})
    assert bad.status_code == 400 and b"<title>Error</title>" in bad.content
    assert httpx.get(server.base_url + "/api/daily_papers", params={"date": "2024-03-25"}).json() == []


def test_429s_come_now_and_then_but_a_retry_always_gets_through(world):
    throttle = Throttle(seed=1, share=0.5)
    answers = [throttle.should_throttle("/api/query", {"start": "0"}) for _ in range(200)]
    assert 50 < sum(answers) < 150
    assert not any(first and second for first, second in zip(answers, answers[1:]))

    busy = LivingWorld(START, END, seed=11, settings=replace(QUIET, throttle_share=0.3, retry_after_seconds=0))
    with ReplayServer(world=busy, clock=lambda: at("2024-03-20T06:00:00")) as server:
        settings = replace(FAST, max_attempts=2)
        with HfDailyFeed(server.base_url, settings=settings, page_size=2) as feed:
            rows = parse_hf(feed.fetch(DAY)[0].content, "test").rows
    assert sorted(rows["arxiv_id"].to_list()) == list(busy.truth(at("2024-03-20T06:00:00")).hf_lists[DAY])
    pages = len(rows) // 2 + 1
    assert len(server.requests) > pages  # some were answered 429 and asked again


def test_samples_mode_has_no_clock():
    with ReplayServer(SAMPLES) as server:
        assert httpx.get(server.base_url + "/_clock").status_code == 404
    with pytest.raises(ValueError):
        ReplayServer()


def test_the_command_line_serves_a_world_whose_clock_another_process_moves(world):
    command = [sys.executable, "-m", "paperlake.replay", "--port", "0", "--world", "11",
               "--start", START.isoformat(), "--end", END.isoformat(), "--now", "2024-03-12T06:00:00Z", "--throttle-share", "0"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base_url = process.stdout.readline().split(" at ")[-1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(base_url + "/_clock").json()["now"] == "2024-03-12T06:00:00Z"
        assert hf_ids(base_url, DAY) == list(world.truth(at("2024-03-12T06:00:00")).hf_lists[DAY])
        httpx.post(base_url + "/_clock", content=json.dumps({"now": "2024-03-20T06:00:00Z"}))
        assert hf_ids(base_url, DAY) == list(world.truth(at("2024-03-20T06:00:00")).hf_lists[DAY])
        assert arxiv_versions(base_url, DAY) == truth_versions(world, at("2024-03-20T06:00:00"), DAY)
        assert set_remote_clock(base_url, at("2024-04-30T06:00:00")) == at("2024-04-30T06:00:00")
        truth = httpx.get(base_url + "/_truth").json()
        expected = world.truth(at("2024-04-30T06:00:00"))
        assert truth["at"] == "2024-04-30T06:00:00Z"
        assert truth["hf_lists"][DAY.isoformat()] == list(expected.hf_lists[DAY])
        assert {i: p["version"] for i, p in truth["arxiv_papers"].items()} == {i: t.version for i, t in expected.arxiv_papers.items()}
        assert all(p["settled"] and p["upvotes"] == expected.hf_papers[i].upvote_count for i, p in truth["hf_papers"].items())
    finally:
        process.terminate()
        process.wait(timeout=10)
