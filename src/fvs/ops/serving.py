"""`fvs serve --workers N`: uvicorn's process supervisor on a socket that keeps Nagle off.

uvicorn binds the socket its processes share with `socket.socket(family)`, so its proto
is 0, and asyncio sets TCP_NODELAY only on accepted sockets whose proto is TCP. Every
answer with a body then waited for the client's delayed ACK: ~40 ms a request, 360 req/s
on a bare route (bench/bench_status_load.py).
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


class ProcessesConfig(uvicorn.Config):
    """uvicorn's Config, whose shared socket says it is TCP."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(fileno=sock.detach())  # family, type and proto from the kernel
            sock.set_inheritable(True)
        return sock


def run_processes(factory: str, *, workers: int, host: str, port: int) -> None:
    """Serve the app that `factory` ("module:function") builds, in `workers` processes."""
    # proxy_headers off: uvicorn would trust 127.0.0.1's X-Forwarded-* itself; only
    # FVS_TRUSTED_PROXIES decides (fvs.proxies).
    config = ProcessesConfig(
        factory,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=False,
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()
