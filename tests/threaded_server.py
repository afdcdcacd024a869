"""An ASGI app under uvicorn in a background thread: real sockets, real concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from fvs.app import create_app
from fvs.cli import _free_port, _wait_started
from fvs.config import Settings


@contextmanager
def serve_app(app: Any, **config: Any) -> Iterator[str]:
    """Serve any ASGI app on a free port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_started(server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@contextmanager
def serve_in_thread(settings: Settings) -> Iterator[str]:
    """Serve the studio on a free port; yields its base URL."""
    with serve_app(create_app(settings), limit_concurrency=500) as base_url:
        yield base_url
