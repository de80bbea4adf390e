"""The HTTP helper against hostile servers on 127.0.0.1: a drip is cut by deadlines, an echoed token is redacted."""

from __future__ import annotations

import logging
import time
from datetime import date

import pytest

from feeds.http import HttpClient
from feeds.http_response import FetchError
from feeds.http_settings import HttpSettings
from tests.feeds.hostile_servers import DripHandler, EchoHeadersHandler, serving

DAY = date(2024, 3, 11)
TOKEN = "hf_SECRETtoken0123456789abcdef"


def test_a_dripping_server_costs_the_request_deadline_then_the_feed_day_budget():
    settings = HttpSettings(
        request_deadline_seconds=0.5, feed_day_budget_seconds=1.6, max_attempts=10, backoff_seconds=0.05, backoff_max_seconds=0.05
    )
    with serving(DripHandler) as url, HttpClient("hf_daily", settings) as http:
        started_at = time.monotonic()
        with pytest.raises(FetchError) as failure:
            http.get(url + "/api/daily_papers", {"date": "2024-03-11"}, day=DAY)
        elapsed_seconds = time.monotonic() - started_at
    message = str(failure.value)
    # Before deadlines, this request read one byte a second for 28 hours.
    assert elapsed_seconds < 3.5, f"{elapsed_seconds:.1f} s"
    assert message.startswith("hf_daily 2024-03-11: feed-day budget of 1.6 s spent"), message
    assert "request deadline" in message and "PAPERLAKE_HTTP_FEED_DAY_BUDGET_SECONDS" in message


def test_a_token_echoed_by_the_server_is_redacted_from_the_error_and_the_logs(caplog):
    settings = HttpSettings(token=TOKEN, max_attempts=1)
    caplog.set_level(logging.DEBUG)
    with serving(EchoHeadersHandler) as url, HttpClient("hf_daily", settings) as http:
        with pytest.raises(FetchError) as failure:
            http.get(url + "/api/daily_papers", {"date": "2024-03-11"}, day=DAY)
        logging.getLogger("flows.anything").warning("echo: %s", failure.value)
    message = str(failure.value)
    assert "HTTP 401" in message and "bad credentials" in message
    assert TOKEN not in message and "[redacted]" in message
    assert TOKEN not in repr(failure.value.args) and TOKEN not in caplog.text
    assert len(message) < 400  # the quoted body stays short


def test_the_feed_day_budget_covers_one_fetch_and_a_later_fetch_of_the_day_gets_a_new_one():
    now = [0.0]
    settings = HttpSettings(feed_day_budget_seconds=10, max_attempts=1)
    with serving(EchoHeadersHandler) as url, HttpClient("hf_daily", settings, monotonic=lambda: now[0]) as http:
        with pytest.raises(FetchError, match="HTTP 401"):
            http.get(url, day=DAY)  # page 1 at 0 s
        now[0] = 20.0  # page 2, 20 s into a fetch with a 10-s budget
        with pytest.raises(FetchError, match="feed-day budget of 10 s spent"):
            http.get(url, day=DAY)
        now[0] = 20.0 + 601  # the same day fetched again, ten minutes later: a new fetch
        with pytest.raises(FetchError, match="HTTP 401"):
            http.get(url, day=DAY)


class UnavailableHandler(EchoHeadersHandler):
    status = 503


def test_a_budget_spent_while_waiting_to_retry_names_the_last_problem():
    now = [0.0]

    def slow_sleep(seconds: float) -> None:  # the machine was busy: the wait overran the budget
        now[0] += 30.0

    settings = HttpSettings(feed_day_budget_seconds=10, max_attempts=5, backoff_seconds=1, backoff_max_seconds=1)
    with serving(UnavailableHandler) as url, HttpClient("hf_daily", settings, monotonic=lambda: now[0], sleep=slow_sleep) as http:
        with pytest.raises(FetchError) as failure:
            http.get(url, day=DAY)
    message = str(failure.value)
    assert "feed-day budget of 10 s spent on pages and retries after 1 attempt(s)" in message
    assert "; last problem: Service Unavailable" in message and "(HTTP 503)" in message, message
