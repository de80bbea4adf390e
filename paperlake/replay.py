"""A local stand-in for the two live APIs, serving the project's own sample payloads or a living world.

    python -m paperlake.replay --port 8765 --samples samples/
    python -m paperlake.replay --port 8765 --world 7 --start 2024-03-04 --end 2024-04-14 --now 2024-03-11T06:00:00Z

serves `GET /api/daily_papers?date=&p=&limit=` (pages of samples/hf_daily/YYYY-MM-DD.json) and
`GET /api/query?search_query=...&start=&max_results=` (arXiv Atom from samples/arxiv/YYYY-MM-DD.xml,
for the day in `submittedDate:[...]`, filtered by `cat:`), in the real formats, so the live
fetch code runs unchanged offline. Tests script faults per path (`Fault`): statuses with
Retry-After, stalls longer than the client's timeout, cut-off bodies, replaced or rewritten
bodies.

With `--world` (or `ReplayServer(world=LivingWorld(...))`) it serves a seeded, clock-driven world
instead (paperlake.living): lists that fill, counts that grow, arXiv announcement lag and new
versions, now and then a 429. `GET/POST /_clock` reads and moves its clock; `GET /_truth` says
what a perfect observer knows at that moment.
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

from paperlake.replay_answers import (  # noqa: F401  (re-exported: tests and the demo import them from here)
    ARXIV_MAX_RESULTS,
    ARXIV_PATH,
    ATOM_TYPE,
    CLOCK_PATH,
    CONTROL_PATHS,
    HF_MAX_LIMIT,
    HF_PATH,
    HTML_TYPE,
    JSON_TYPE,
    TEXT_TYPE,
    TRUTH_PATH,
    Answer,
    arxiv_answer,
    arxiv_day_entries,
    arxiv_error_answer,
    arxiv_error_feed,
    arxiv_paging,
    hf_answer,
    hf_day_items,
    hf_page_answer,
)

from paperlake.living_server import (
    ServerClock,
    Throttle,
    add_world_arguments,
    clock_answer,
    throttled_answer,
    truth_answer,
    world_answer,
    world_server,
)

if TYPE_CHECKING:
    from paperlake.living import LivingWorld

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fault:
    """What the server does instead of (or to) its normal answer for one request."""

    status: int | None = None  # None: the normal answer's status
    body: bytes | None = None  # None: the normal answer's body
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    stall_seconds: float = 0.0  # wait before answering: longer than the client's read timeout = a timeout
    cut_after_bytes: int | None = None  # promise the whole body in Content-Length, send this much, hang up
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    rewrite: Callable[[bytes], bytes] | None = None  # applied to the normal body

    @classmethod
    def http_status(cls, status: int, body: bytes = b"", retry_after: str | None = None) -> Fault:
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        return cls(status=status, body=body, content_type=TEXT_TYPE, headers=headers)

    @classmethod
    def serve(cls, body: bytes, content_type: str = TEXT_TYPE, status: int = 200, send_length: bool = True) -> Fault:
        return cls(status=status, body=body, content_type=content_type, send_length=send_length)

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        return cls(stall_seconds=seconds)

    @classmethod
    def cut(cls, after_bytes: int) -> Fault:
        return cls(cut_after_bytes=after_bytes)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(repr=False)


class ReplayServer:
    """The server in a background thread on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        samples_dir: str | Path | None = None,
        faults: Mapping[str, Sequence[Fault | None]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        world: LivingWorld | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        """Serves `samples_dir`'s finished days, or, given a `world`, what that world shows at `clock()`
        (the wall clock by default; `POST /_clock` or `set_clock` moves it)."""
        if (samples_dir is None) == (world is None):
            raise ValueError("give either samples_dir or world")
        self.samples_dir = Path(samples_dir) if samples_dir is not None else None
        self.world = world
        self.clock, self._throttle = None, None
        if world is not None:
            self.clock = ServerClock(clock)
            self._throttle = Throttle(world.seed, world.settings.throttle_share)
        self.requests: list[RecordedRequest] = []
        self._scripts: dict[str, deque[Fault | None]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        for path, script in (faults or {}).items():
            self.script(path, *script)
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, path: str, *faults: Fault | None) -> None:
        """Queue what the next requests to `path` get, in order; None means the normal answer."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(faults)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> ReplayServer:
        # A short poll interval: shutdown() waits for the loop's next poll, and tests stop many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="paperlake-replay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled handlers so nothing outlives the server
        if self._thread:  # shutdown() would wait forever for a loop that never started
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command line's mode)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._stopping.set()
            self._httpd.server_close()

    # ---- request handling ----

    def _next_fault(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            self.requests.append(request)
            script = self._scripts.get(request.path)
            return script.popleft() if script else None

    def set_clock(self, now_at: datetime, *, ticking: bool = False) -> None:
        """Move a world server's clock (what `POST /_clock` does)."""
        if self.clock is None:
            raise ValueError("only a server with a world has a clock")
        self.clock.set(now_at, ticking=ticking)

    def control_answer(self, method: str, path: str, body: bytes) -> Answer:
        """`/_clock` (GET, POST) and `/_truth` (GET) of a world server."""
        if self.clock is None:
            return Answer(404, b"no clock: this server replays sample files\n", TEXT_TYPE)
        if path == TRUTH_PATH and method == "GET":
            return truth_answer(self.world, self.clock.now())
        return clock_answer(self.clock, method, body)

    def answer(self, path: str, params: Mapping[str, str]) -> Answer:
        """The normal answer to a request, as the real API would give it."""
        if self.world is not None:
            if self._throttle.should_throttle(path, params):
                return throttled_answer(self.world.settings.retry_after_seconds)
            return world_answer(self.world, path, params, self.clock.now())
        if path == HF_PATH:
            return hf_answer(self.samples_dir, params)
        if path == ARXIV_PATH:
            return arxiv_answer(self.samples_dir, params)
        return Answer(404, f"not found: {path}\n".encode(), TEXT_TYPE)


@contextmanager
def serve_replay(samples_dir: str | Path, faults: Mapping[str, Sequence[Fault | None]] | None = None) -> Iterator[str]:
    """Run a replay server for the duration of the block; yields its base URL."""
    with ReplayServer(samples_dir, faults) as server:
        yield server.base_url


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "paperlake-replay"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in CONTROL_PATHS:  # control, not an API request: not recorded, never faulted
                self._send(server.control_answer("GET", url.path, b""))
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = RecordedRequest(url.path, dict(parse_qsl(url.query)), headers)
            fault = server._next_fault(request)
            try:
                self._respond(request, fault)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout we caused on purpose)
            except Exception as err:  # a bug or a bad sample file: say so instead of hanging up
                log.exception("replay failed to answer %s", self.path)
                self._send(Answer(500, f"replay error: {type(err).__name__}: {err}\n".encode(), TEXT_TYPE))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if urlsplit(self.path).path != CLOCK_PATH:
                self._send(Answer(405, b"only POST /_clock\n", TEXT_TYPE))
                return
            self._send(server.control_answer("POST", CLOCK_PATH, body))

        def _respond(self, request: RecordedRequest, fault: Fault | None) -> None:
            fault = fault or Fault()
            if fault.stall_seconds and server._stopping.wait(fault.stall_seconds):
                return  # the server is stopping: nobody is waiting for this answer any more
            self._send(with_fault(server.answer(request.path, request.params), fault), fault)

        def _send(self, answer: Answer, fault: Fault = Fault()) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            if fault.send_length:
                self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
            body = answer.body if fault.cut_after_bytes is None else answer.body[: fault.cut_after_bytes]
            self.wfile.write(body)
            self.wfile.flush()

        def log_message(self, format: str, *args) -> None:
            log.info("replay %s - %s", self.address_string(), format % args)

    return Handler


def with_fault(answer: Answer, fault: Fault) -> Answer:
    body = fault.rewrite(answer.body) if fault.rewrite else answer.body
    return Answer(
        status=fault.status or answer.status,
        body=fault.body if fault.body is not None else body,
        content_type=fault.content_type or answer.content_type,
        headers=answer.headers + fault.headers,
    )


# ---- command line ----


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m paperlake.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", default="samples", help="folder with hf_daily/ and arxiv/ sample payloads")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    add_world_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.world is not None:
        server = world_server(args, parser)
        what = f"living world {args.world} ({args.start} to {args.end}), clock at {server.clock.now().isoformat()}"
    else:
        samples = Path(args.samples)
        if not any((samples / feed).is_dir() for feed in ("hf_daily", "arxiv")):
            parser.error(f"{samples} has neither hf_daily/ nor arxiv/ sample folders")
        server, what = ReplayServer(samples, host=args.host, port=args.port), str(samples.resolve())
    print(f"replaying {what} at {server.base_url}", flush=True)
    print(f"  PAPERLAKE_HF_URL={server.base_url} PAPERLAKE_ARXIV_URL={server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
