"""Real HTTP servers on 127.0.0.1 that misbehave: one drips its answer, one echoes the request's headers."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


class DripHandler(_Quiet):
    """200 with a long body sent one byte every `drip_seconds`, for as long as the client listens."""

    drip_seconds = 0.1

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(self.drip_seconds)
        except OSError:  # the client gave up: what the test wants
            pass


class EchoHeadersHandler(_Quiet):
    """401 whose body is the request's headers, as debug endpoints and some proxies answer."""

    status = 401

    def do_GET(self) -> None:
        echoed = " ".join(f"{k}: {v}" for k, v in self.headers.items())
        body = f"bad credentials {self.headers.get('Authorization', '')} ({echoed})".encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
