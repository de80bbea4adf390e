"""A real webhook receiver on 127.0.0.1: it records every POST (JSON body and headers) and answers 200, or
`status` when a test sets it (a receiver that is down or refusing)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.status = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.posts.append({"path": self.path, "json": json.loads(body or b"null"), "user_agent": self.headers.get("User-Agent")})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/digest"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies_of(self, watch_name: str) -> list[str]:
        return [post["json"]["body"] for post in self.posts if post["json"].get("watch") == watch_name]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running
