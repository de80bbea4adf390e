"""HTTP for live feeds: timeouts, retries with backoff, Retry-After, a size cap, an honest User-Agent.

httpx's own `HTTPTransport(retries=N)` only retries failed connections; 429s, 5xx and read
timeouts need the loop here. Sleep, clocks and randomness are injected so tests against a local
server run in milliseconds. The API token goes into a header only: it is never part of a URL, a
log line or an error message, and a server echoing it back is redacted (feeds/redact.py).

A dripping server (one byte a second) never trips a read timeout, which applies between bytes:
every request has a total deadline, and every feed-day a budget for all its pages and retries.

Its settings (HttpSettings, the $PAPERLAKE_HTTP_* knobs) are feeds/http_settings.py's; what a GET gives
back (Response, FetchError), feeds/http_response.py's.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Callable, Mapping

import httpx

from feeds.http_response import FetchError, Response
from feeds.http_settings import HttpSettings
from feeds.pacing import PROCESS_PACER, Pacer, backoff_seconds, retry_after_seconds  # noqa: F401 (re-exported)
from feeds.redact import register_secret
from settings import __version__

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/paperlake/paperlake"
USER_AGENT = f"paperlake/{__version__} (+{PROJECT_URL})"

# 501/505 mean "never", not "not now", so only these are worth another attempt.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Failures of the network or the peer, not of our request: the same request may well work again.
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Pages of one fetch follow each other within seconds (retry pauses happen inside a request); a
# request for the same day after this long a pause is a new fetch, with a new feed-day budget.
NEW_FETCH_GAP_SECONDS = 600.0
# Connection refused means nothing listens there: unlike a 503, waiting rarely helps, so try twice, not max_attempts times.
REFUSED_MAX_ATTEMPTS = 2


def utc_now() -> datetime:
    return datetime.now(UTC)




class _DeadlinePassed(Exception):
    """The answer was still coming when the request's deadline passed."""


@dataclass(frozen=True)
class _Retryable:
    """Why an attempt failed in a way that may not happen again."""

    reason: str
    status_code: int | None = None
    retry_after: str | None = None
    refused: bool = False  # the connection was refused: nothing listens at that address


class Closing:
    """`with thing:` closes it on the way out; `thing.close()` is the subclass's."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class HttpFeed(Closing):
    """A live feed holding an HttpClient: closing the feed closes its connections."""

    http: HttpClient

    def close(self) -> None:
        self.http.close()


class HttpClient(Closing):
    """GETs for one feed, with the retry policy above; request starts are spaced by the pacer."""

    def __init__(
        self,
        feed: str,
        settings: HttpSettings = HttpSettings(),
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        pacer: Pacer = PROCESS_PACER,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        if settings.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {settings.max_attempts}")
        self.feed = feed
        self.settings = settings
        self._sleep, self._clock, self._pacer, self._monotonic = sleep, clock, pacer, monotonic
        # The feed-day budget runs from a fetch's first request; a long-lived client (a served
        # deployment) fetching the same day again later starts a new budget.
        self._day_started_at: dict[date, float] = {}
        self._day_last_at: dict[date, float] = {}
        register_secret(settings.token)
        self._rng = rng or random.Random()
        timeout = httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds)
        self._client = httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True, transport=transport, verify=tls_context()
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        day: date,
        is_throttled: Callable[[Response], bool] | None = None,
        explain: Callable[[Response], str | None] | None = None,
    ) -> Response:
        """A 2xx response, or FetchError. `is_throttled` flags 2xx bodies that mean "slow down";
        `explain` reads a feed's own message from the body of an error answer that is not retried."""
        request_url = str(httpx.URL(url, params=params))
        now = self._monotonic()
        if now - self._day_last_at.get(day, -math.inf) > NEW_FETCH_GAP_SECONDS:
            self._day_started_at[day] = now
        try:
            return self._get(request_url, day, is_throttled, explain)
        finally:
            self._day_last_at[day] = self._monotonic()

    def _get(
        self, request_url: str, day: date, is_throttled: Callable[[Response], bool] | None, explain: Callable[[Response], str | None] | None
    ) -> Response:
        problem: _Retryable | None = None  # the last attempt's, named if the budget runs out before the next
        for attempt in range(1, self.settings.max_attempts + 1):
            self._check_budget(request_url, day, attempt - 1, problem)
            outcome = self._attempt(request_url, day, is_throttled, explain)
            if isinstance(outcome, Response):
                return outcome
            problem = outcome
            if attempt == self.settings.max_attempts or (problem.refused and attempt >= REFUSED_MAX_ATTEMPTS):
                reason = f"gave up after {attempt} attempts: {problem.reason}"
                raise FetchError(self.feed, day, request_url, reason, problem.status_code)
            wait = self._wait_seconds(attempt, problem)
            if wait >= self._budget_left(day):
                self._check_budget(request_url, day, attempt, problem, force=True)
            log.warning("%s %s: %s; retry %d in %.1fs: GET %s", self.feed, day, problem.reason, attempt, wait, request_url)
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _budget_left(self, day: date) -> float:
        return self.settings.feed_day_budget_seconds - (self._monotonic() - self._day_started_at[day])

    def _check_budget(self, url: str, day: date, attempts: int, problem: _Retryable | None, force: bool = False) -> None:
        """FetchError once the feed-day's budget is spent (or a retry would overrun it)."""
        if not force and self._budget_left(day) > 0:
            return
        last = f"; last problem: {problem.reason}" if problem else ""
        reason = (
            f"feed-day budget of {self.settings.feed_day_budget_seconds:g} s spent on pages and retries "
            f"after {attempts} attempt(s) at this page ($PAPERLAKE_HTTP_FEED_DAY_BUDGET_SECONDS){last}"
        )
        raise FetchError(self.feed, day, url, reason, problem.status_code if problem else None)

    def _attempt(
        self, url: str, day: date, is_throttled: Callable[[Response], bool] | None, explain: Callable[[Response], str | None] | None = None
    ) -> Response | _Retryable:
        """One request: a usable response, a problem worth another attempt, or FetchError."""
        self._pacer.wait_turn(httpx.URL(url).netloc.decode("ascii"), self.settings.min_interval_seconds)
        try:
            response = self._read(url, day)
        except _DeadlinePassed as late:
            return _Retryable(str(late))
        except RETRY_EXCEPTIONS as err:
            refused = isinstance(err, httpx.ConnectError) and "refused" in str(err).lower()
            return _Retryable(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__, refused=refused)
        except httpx.HTTPError as err:
            raise FetchError(self.feed, day, url, f"{type(err).__name__}: {err}") from err
        status = response.status_code
        if status in RETRY_STATUSES:
            return _Retryable(_status_reason(response), status, response.headers.get("Retry-After"))
        if not 200 <= status < 300:
            raise FetchError(self.feed, day, url, (explain and explain(response)) or _status_reason(response), status)
        if is_throttled and is_throttled(response):
            return _Retryable(f"throttled: {response.excerpt()!r}", status, response.headers.get("Retry-After"))
        return response

    def _read(self, url: str, day: date) -> Response:
        """Stream the body and stop past the cap, so a runaway response never sits whole in memory."""
        cap = self.settings.max_response_bytes
        deadline_seconds = max(0.001, min(self.settings.request_deadline_seconds, self._budget_left(day)))
        deadline_at = self._monotonic() + deadline_seconds
        # No single wait for bytes may outlast the deadline either (a server silent before its headers).
        timeout = httpx.Timeout(min(self.settings.read_timeout_seconds, deadline_seconds), connect=self.settings.connect_timeout_seconds)
        with self._client.stream("GET", url, headers=self._auth_headers(), timeout=timeout) as streamed:
            declared = streamed.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise self._too_large(url, day, streamed.status_code, f"declares {int(declared)} bytes")
            chunks, size = [], 0
            for chunk in streamed.iter_bytes():
                if self._monotonic() > deadline_at:
                    raise _DeadlinePassed(
                        f"no complete answer within the {deadline_seconds:g}-s request deadline "
                        f"(read {size} bytes; the server sends too slowly; $PAPERLAKE_HTTP_REQUEST_DEADLINE_SECONDS)"
                    )
                size += len(chunk)
                if size > cap:
                    raise self._too_large(url, day, streamed.status_code, f"stopped reading at {size} bytes")
                chunks.append(chunk)
            return Response(str(streamed.url), streamed.status_code, streamed.headers, b"".join(chunks))

    def _too_large(self, url: str, day: date, status_code: int, detail: str) -> FetchError:
        reason = f"response larger than the {self.settings.max_response_bytes}-byte cap ({detail})"
        return FetchError(self.feed, day, url, reason, status_code)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.token}"} if self.settings.token else {}

    def _wait_seconds(self, attempt: int, problem: _Retryable) -> float:
        asked = retry_after_seconds(problem.retry_after, self._clock())
        if asked is not None:
            return min(asked, self.settings.retry_after_max_seconds)
        return backoff_seconds(attempt, self.settings, self._rng)


def _status_reason(response: Response) -> str:
    phrase = httpx.codes.get_reason_phrase(response.status_code) or "HTTP error"
    excerpt = response.excerpt()
    return phrase + (f": {excerpt}" if excerpt else "")


@functools.cache
def tls_context():
    """One TLS context per process (certifi's CAs, $SSL_CERT_FILE honoured), shared by every client:
    building one loads the CA bundle, 20-150 ms, and a backfill opens a client per feed-day."""
    return httpx.create_ssl_context()
