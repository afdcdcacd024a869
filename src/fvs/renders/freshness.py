"""Cheap polling: an ETag from a render's version, and a hint of when to poll again.

The version is one small query (renders.repository.version_row): the project's
status, stage and updated_at, what its shot rows add (takes, notes, clips filmed
and in flight), its file count and its settled credits. Everything the status body
shows moves one of these, so a poll whose If-None-Match names the current ETag is
answered 304 without building the body: no shots read, no URLs signed.

The ETag is weak (W/"..."): it names a version of the render, not the bytes of one
body. The body also depends on the origin it is addressed to (status_url, media
links) and on the signed links' expiry, which moves once an hour (storage.signing
rounds it up to the hour): both go into the tag, so a new hour gives a new tag and
the client fresh links, and two origins never share one.

The same argument lets a process keep the last bodies it built, by render and ETag
(Bodies, bounded, least recently used out first): a poll without If-None-Match whose
render has not moved gets the bytes built for the previous poll, after the same one
small query. A body is built only when its render has changed, or the hour has.

Retry-After (seconds) rides on every non-terminal status: a few seconds while a Veo
clip is filming remotely (it takes minutes; nothing changes faster than its poll),
one second while the studio's own steps run, longer while a storyboard waits for a
person's approval. Terminal statuses carry none: there is nothing more to wait for.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fvs.stages import TERMINAL, Stage
from fvs.storage.signing import rounded_expiry

# Bump when the status body's shape changes, so no client keeps an old body as current.
BODY_FORMAT = "1"
REMOTE_FILMING_RETRY_SECONDS = 5
LOCAL_WORK_RETRY_SECONDS = 1
AWAITING_REVIEW_RETRY_SECONDS = 10
MAX_BODY_BYTES = 32 * 1024 * 1024  # per process; a status body is a few KB to ~100 KB


@dataclass(frozen=True)
class Version:
    """What one render's status body is made of, in brief: one row of version_row."""

    status: str
    stage: str
    clips_in_flight: int
    parts: tuple[Any, ...]  # every column of the row, in order: updated_at, credits, counts

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Version:
        return cls(
            status=row["status"],
            stage=row["current_stage"],
            clips_in_flight=int(row["clips_in_flight"] or 0),
            parts=tuple(row.values()),
        )


def etag(version: Version, *, base_url: str, ttl_seconds: int, now: float | None = None) -> str:
    """The weak ETag of the status body this version gives at this origin, this hour."""
    expiry = rounded_expiry(ttl_seconds, time.time() if now is None else now)
    text = "|".join([BODY_FORMAT, base_url, str(expiry), *(str(part) for part in version.parts)])
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return f'W/"{digest}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names this tag (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(tag)
    return any(_opaque(candidate) == wanted for candidate in if_none_match.split(","))


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def retry_after(version: Version) -> int | None:
    """Seconds to wait before polling again; None once the render has ended."""
    if version.status in TERMINAL:
        return None
    if version.stage == Stage.HALTED_FOR_REVIEW:
        return AWAITING_REVIEW_RETRY_SECONDS
    if version.stage == Stage.FILMING and version.clips_in_flight:
        return REMOTE_FILMING_RETRY_SECONDS
    return LOCAL_WORK_RETRY_SECONDS


def headers(version: Version, tag: str) -> dict[str, str]:
    """The ETag, the poll hint and a cache policy: revalidate every time, keep it private."""
    found = {"ETag": tag, "Cache-Control": "private, no-cache"}
    seconds = retry_after(version)
    if seconds is not None:
        found["Retry-After"] = str(seconds)
    return found


class Bodies:
    """The status bodies last built, by (project id, ETag); thread-safe, bounded in bytes."""

    def __init__(self, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, project_id: str, tag: str) -> bytes | None:
        with self._lock:
            body = self._entries.get((project_id, tag))
            if body is not None:
                self._entries.move_to_end((project_id, tag))
            return body

    def put(self, project_id: str, tag: str, body: bytes) -> None:
        with self._lock:
            old = self._entries.pop((project_id, tag), None)
            self.size += len(body) - (len(old) if old is not None else 0)
            self._entries[(project_id, tag)] = body
            while self.size > self.max_bytes and self._entries:
                _key, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped)


bodies = Bodies()
