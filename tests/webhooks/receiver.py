"""A real webhook receiver: an HTTP server thread that records every request it is sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The parsed body if its signature is valid for this secret; raises otherwise."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Answers each POST with the next scripted status (then `then`), recording it first."""

    def __init__(self, statuses: list[int] | None = None, *, then: int = 200) -> None:
        self.statuses = list(statuses or [])
        self.then = then
        self.received: list[Received] = []
        self.before_answer: Callable[[Received], None] = lambda _r: None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        """At least `count` requests, or AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"received {len(self.received)} of {count} webhooks")

    def wait_until(self, done: Callable[[list[Received]], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if done(list(self.received)):
                    return
            time.sleep(0.02)
        raise AssertionError(f"not done after {timeout} s: {self.types()}")

    def types(self) -> list[str]:
        return [json.loads(r.body)["type"] for r in list(self.received)]

    def _record(self, received: Received) -> int:
        with self._lock:
            self.received.append(received)
            return self.statuses.pop(0) if self.statuses else self.then

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                received = Received({k.lower(): v for k, v in self.headers.items()}, body)
                status = receiver._record(received)
                receiver.before_answer(received)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: object) -> None:
                pass

        return Handler
