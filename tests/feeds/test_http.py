"""The HTTP helper against a real server on 127.0.0.1: retries, Retry-After, timeouts, caps, headers."""

from __future__ import annotations

import logging
import pickle
import random
import socket
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

import paperlake
from feeds.http import USER_AGENT, backoff_seconds, retry_after_seconds
from feeds.http_response import FetchError
from feeds.http_settings import HttpSettings
from paperlake.replay import HF_PATH, HTML_TYPE, Fault
from tests.feeds.replay_fixtures import FAST, IMPATIENT, ROOT, FakeTime, fake_time, make_http, replay  # noqa: F401

DAY = date(2024, 3, 11)
PARAMS = {"date": "2024-03-11", "p": 0, "limit": 50}


def get(replay, fake_time, settings=FAST, params=PARAMS):
    with make_http("hf_daily", fake_time, settings) as http:
        return http.get(replay.base_url + HF_PATH, params, day=DAY)


def test_a_normal_answer_is_read_whole_with_paperlake_user_agent(replay, fake_time):
    response = get(replay, fake_time)
    assert response.status_code == 200 and response.content.startswith(b'[{"paper":')
    assert fake_time.sleeps == []
    [request] = replay.requests
    assert request.headers["user-agent"] == USER_AGENT
    assert f"paperlake/{paperlake.__version__}" in USER_AGENT and "https://" in USER_AGENT
    assert "authorization" not in request.headers


def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(replay, fake_time):
    replay.script(HF_PATH, Fault.http_status(429, b"slow down", retry_after="7"))
    response = get(replay, fake_time)
    assert response.status_code == 200
    assert fake_time.sleeps == [7.0]
    assert len(replay.requests) == 2


def test_retry_after_as_http_date_is_honoured_and_capped(replay, fake_time):
    soon = format_datetime(fake_time.now + timedelta(seconds=12), usegmt=True)
    later = format_datetime(fake_time.now + timedelta(hours=2), usegmt=True)
    replay.script(HF_PATH, Fault.http_status(503, retry_after=soon), Fault.http_status(429, retry_after=later))
    assert get(replay, fake_time).status_code == 200
    assert fake_time.sleeps == [12.0, FAST.retry_after_max_seconds]


def test_503_then_success_backs_off_with_jitter(replay, fake_time):
    replay.script(HF_PATH, Fault.http_status(503), Fault.http_status(502))
    assert get(replay, fake_time).status_code == 200
    first, second = fake_time.sleeps
    # Retry n waits between half and all of backoff_seconds * 2**(n-1).
    assert FAST.backoff_seconds / 2 <= first <= FAST.backoff_seconds
    assert FAST.backoff_seconds <= second <= 2 * FAST.backoff_seconds


def test_retries_exhausted_names_feed_date_url_status_and_attempts(replay, fake_time):
    replay.script(HF_PATH, *[Fault.http_status(503, b"upstream down")] * 3)
    with pytest.raises(FetchError) as caught:
        get(replay, fake_time)
    message = str(caught.value)
    assert message.startswith("hf_daily 2024-03-11: gave up after 3 attempts: Service Unavailable: upstream down")
    assert "(HTTP 503)" in message and f"GET {replay.base_url}{HF_PATH}?date=2024-03-11&p=0&limit=50" in message
    assert caught.value.status_code == 503 and len(replay.requests) == 3 and len(fake_time.sleeps) == 2


def test_a_read_that_stalls_past_the_timeout_is_retried(replay, fake_time):
    replay.script(HF_PATH, Fault.stall(5.0))
    started = time.monotonic()
    assert get(replay, fake_time, IMPATIENT).status_code == 200
    assert time.monotonic() - started < 2.0
    assert len(replay.requests) == 2 and len(fake_time.sleeps) == 1


def test_read_timeouts_until_attempts_run_out(replay, fake_time):
    replay.script(HF_PATH, *[Fault.stall(5.0)] * 3)
    with pytest.raises(FetchError, match=r"gave up after 3 attempts: ReadTimeout.*\(no HTTP status\)"):
        get(replay, fake_time, IMPATIENT)
    assert len(replay.requests) == 3


def test_a_body_cut_off_mid_transfer_is_retried(replay, fake_time):
    replay.script(HF_PATH, Fault.cut(after_bytes=40))
    assert get(replay, fake_time).content.endswith(b"]")
    assert len(replay.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 501])
def test_client_errors_are_not_retried_and_say_what_the_server_said(replay, fake_time, status):
    replay.script(HF_PATH, Fault.http_status(status, b'{"error":"Invalid date format"}'))
    with pytest.raises(FetchError) as caught:
        get(replay, fake_time)
    assert caught.value.status_code == status and f"(HTTP {status})" in str(caught.value)
    assert 'Invalid date format"}' in caught.value.reason
    assert len(replay.requests) == 1 and fake_time.sleeps == []


def test_the_real_400_for_a_bad_date(replay, fake_time):
    with pytest.raises(FetchError, match=r"^hf_daily 2024-03-11: Bad Request: .*Invalid date '2024-13-45'.*\(HTTP 400\) GET http://127"):
        get(replay, fake_time, params={"date": "2024-13-45"})


def test_connection_refused_is_retried_once_then_reported(fake_time):
    """Nothing listening is worth fewer attempts than a 503 (which gets all of max_attempts)."""
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with make_http("arxiv", fake_time) as http, pytest.raises(FetchError, match="gave up after 2 attempts: ConnectError"):
        assert http.settings.max_attempts == 3
        http.get(f"http://127.0.0.1:{port}/api/query", day=DAY)
    assert len(fake_time.sleeps) == 1


def test_a_declared_size_over_the_cap_is_refused_before_reading(replay, fake_time):
    small = replace(FAST, max_response_bytes=1000)
    with pytest.raises(FetchError, match=r"larger than the 1000-byte cap \(declares \d+ bytes\).*\(HTTP 200\)"):
        get(replay, fake_time, small)
    assert len(replay.requests) == 1  # a too-large answer is not retried: it would be as large again


def test_an_undeclared_size_stops_reading_at_the_cap(replay, fake_time):
    replay.script(HF_PATH, Fault.serve(b"[" + b" " * 50_000 + b"]", send_length=False))
    small = replace(FAST, max_response_bytes=10_000)
    with pytest.raises(FetchError, match=r"larger than the 10000-byte cap \(stopped reading at \d+ bytes\)"):
        get(replay, fake_time, small)


def test_token_goes_in_a_bearer_header_and_nowhere_else(replay, fake_time, caplog):
    secret = "hf_s3cr3t_token_value"
    settings = replace(FAST, token=secret)
    replay.script(HF_PATH, Fault.http_status(503), Fault.http_status(404, b"no such day"))
    with caplog.at_level(logging.DEBUG), pytest.raises(FetchError) as caught:
        get(replay, fake_time, settings)
    assert [r.headers["authorization"] for r in replay.requests] == [f"Bearer {secret}"] * 2
    assert secret not in str(caught.value) and secret not in repr(settings)
    assert secret not in caplog.text and "retry 1" in caplog.text
    assert secret not in pickle.dumps(caught.value).decode("latin-1")


def test_throttled_bodies_are_retried_like_429(replay, fake_time):
    replay.script(HF_PATH, Fault.serve(b"Rate exceeded."))
    with make_http("arxiv", fake_time) as http:
        response = http.get(replay.base_url + HF_PATH, PARAMS, day=DAY, is_throttled=lambda r: r.content == b"Rate exceeded.")
    assert response.content.startswith(b"[")
    assert len(fake_time.sleeps) == 1


def test_min_interval_spaces_request_starts(replay, fake_time):
    polite = replace(FAST, min_interval_seconds=3.0)
    with make_http("arxiv", fake_time, polite) as http:
        for _ in range(3):
            http.get(replay.base_url + HF_PATH, PARAMS, day=DAY)
    # The fake clock only moves when sleep is called, so each later request waits the full interval.
    assert fake_time.sleeps == [3.0, 3.0]


def test_the_pacer_spaces_each_host_on_its_own():
    fake_time = FakeTime()
    for host in ("export.arxiv.org", "export.arxiv.org", "huggingface.co", "export.arxiv.org"):
        fake_time.pacer.wait_turn(host, 3.0)
    assert fake_time.sleeps == [3.0, 3.0]  # huggingface.co did not wait; arXiv's third start is at 6 s
    fake_time.pacer.wait_turn("huggingface.co", 0.0)
    assert len(fake_time.sleeps) == 2


def test_retry_after_parsing():
    now = datetime(2024, 3, 14, 6, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Thu, 14 Mar 2024 06:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Thu, 14 Mar 2024 05:00:00 GMT", now) == 0.0  # in the past: go now
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_backoff_doubles_and_is_capped():
    settings = HttpSettings(backoff_seconds=1.0, backoff_max_seconds=10.0)
    waits = [backoff_seconds(n, settings, random.Random(0)) for n in range(1, 7)]
    ceilings = [1, 2, 4, 8, 10, 10]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings))


def test_replay_server_runs_standalone(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "paperlake.replay", "--port", "0", "--samples", str(ROOT / "samples")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        base_url = first_line.rsplit(" at ", 1)[1].strip()
        listing = httpx.get(f"{base_url}{HF_PATH}", params={"date": "2024-03-12", "limit": 3}).json()
        assert [item["paper"]["id"] for item in listing] == ["2403.05788", "2403.05017", "2403.06130"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


def test_an_html_page_is_served_with_status_200_when_scripted(replay, fake_time):
    replay.script(HF_PATH, Fault.serve(b"<!DOCTYPE html><html></html>", HTML_TYPE))
    response = get(replay, fake_time)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
