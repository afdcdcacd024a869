"""The storage interface services and the pipeline depend on; local disk and S3 implement it.

Media are addressed by keys such as `projects/<id>/keyframes/shot-01.png`, the same
names the database rows hold. Pipeline steps never assume a shared disk: they open a
workspace, ask it for local paths to read (`input`) and to write (`output`), and the
backend makes those paths real files for the length of the block.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from fvs.errors import AppError


class UnsafePath(ValueError):
    """A media key that points outside the media root."""


class StorageUnavailable(AppError):
    """The configured media storage is wrong or cannot be reached; the message names the setting."""

    status_code = 503
    code = "storage_unavailable"


def project_key(project_id: str, name: str) -> str:
    """The key of a project's file, e.g. `projects/<id>/keyframes/shot-01.png`."""
    return f"projects/{project_id}/{name}"


def check_project_key(project_id: str, key: str) -> None:
    """Refuse a key outside the project's folder, or one with empty, `.` or `..` parts."""
    parts = key.split("/")
    inside = key.startswith(project_key(project_id, ""))
    if not inside or any(part in ("", ".", "..") for part in parts):
        raise UnsafePath(key)


def content_disposition(filename: str) -> str:
    """An attachment header naming the file, with an ASCII fallback (RFC 6266)."""
    fallback = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Workspace(Protocol):
    """Local paths to one project's media for the length of a `with` block."""

    def input(self, key: str) -> Path:
        """A local path holding the stored file; FileNotFoundError when there is none."""
        ...

    def output(self, key: str, content_type: str | None = None) -> Path:
        """A local path to write; it is stored under `key` when the block ends without error."""
        ...


class MediaStorage(Protocol):
    """Media files addressed by keys (`projects/<id>/...`), on local disk or in a bucket."""

    def workspace(self, project_id: str) -> AbstractContextManager[Workspace]:
        """Open a workspace on the project's files; scratch copies are removed when it closes."""
        ...

    def size(self, key: str) -> int | None:
        """The stored file's size in bytes; None when nothing is stored under the key."""
        ...

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Store bytes under a key; readers never see half a file."""
        ...

    def link(
        self, key: str, *, base_url: str, ttl_seconds: int, download_name: str | None = None
    ) -> str:
        """An expiring URL that serves the file (with Range); it saves as `download_name`."""
        ...

    def check(self) -> None:
        """Raise StorageUnavailable, in one sentence naming the setting, unless usable."""
        ...
