"""A real chunked (or Content-Length) upload over a socket that stops once the server answers."""

from __future__ import annotations

import json
import select
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = b"x" * 65536


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the server let us send before it answered

    def json(self) -> dict:
        return json.loads(self.body)


def stream_upload(
    base_url: str,
    path: str,
    *,
    total: int,
    headers: dict[str, str] | None = None,
    chunked: bool = True,
    prefix: bytes = b"",
    timeout: float = 60,
) -> Answer:
    """Send `total` body bytes (chunked, or with a Content-Length) until the answer arrives."""
    url = urlsplit(base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", framing, "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    if prefix:  # e.g. a multipart part's headers, so the parser takes the rest as a file
        sock.sendall(b"%x\r\n%s\r\n" % (len(prefix), prefix) if chunked else prefix)
    sent = len(prefix) + _send_until_answered(sock, total - len(prefix), chunked, timeout)
    sock.setblocking(True)
    raw = b""
    try:
        while chunk := sock.recv(65536):
            raw += chunk
    except ConnectionResetError:
        pass  # the server closed on the body it refused to read; its answer came first
    sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = dict(line.split(": ", 1) for line in header_lines)
    if found.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return Answer(int(status_line.split()[1]), {k.lower(): v for k, v in found.items()}, body, sent)


def _send_until_answered(sock: socket.socket, total: int, chunked: bool, timeout: float) -> int:
    sock.setblocking(False)
    sent = 0
    pending = b""
    finished = False
    while True:
        waiting = finished and not pending
        readable, writable, _ = select.select([sock], [] if waiting else [sock], [], timeout)
        if readable:
            return sent
        if not writable:
            raise TimeoutError("the server neither read more nor answered")
        if not pending:
            size = min(len(CHUNK), total - sent)
            if size == 0:
                pending, finished = (b"0\r\n\r\n" if chunked else b""), True
            else:
                data = CHUNK[:size]
                pending = b"%x\r\n%s\r\n" % (size, data) if chunked else data
                sent += size
        try:
            pending = pending[sock.send(pending) :]
        except (BrokenPipeError, ConnectionResetError):
            return sent


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out, body = out + rest[:size], rest[size + 2 :]
    return out
