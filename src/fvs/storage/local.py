"""Local-disk media storage under one root; a key is a path relative to it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fvs.storage.base import StorageUnavailable, UnsafePath, check_project_key
from fvs.storage.signing import sign_path


class LocalWorkspace:
    """The stored files themselves: steps read and write them in place, with no copies."""

    def __init__(self, storage: LocalStorage, project_id: str) -> None:
        self._storage = storage
        self._project_id = project_id

    def input(self, key: str) -> Path:
        """The stored file's own path."""
        check_project_key(self._project_id, key)
        return self._storage.path(key)

    def output(self, key: str, content_type: str | None = None) -> Path:
        """The final path (its folder created); the file is stored as soon as it is written."""
        check_project_key(self._project_id, key)
        target = self._storage.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


class LocalStorage:
    """MediaStorage on one local folder (the embedded default), linked by signed /media URLs."""

    def __init__(self, root: Path, *, secret: bytes, setting: str = "FVS_DATA_DIR") -> None:
        self.root = root.resolve()
        self._secret = secret
        self._setting = setting
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(
                f"{setting}: the media folder {self.root} cannot be created ({exc.strerror})"
            ) from None

    def path(self, key: str) -> Path:
        """The absolute path of a stored file; refuses anything outside the root."""
        full = (self.root / key).resolve()
        if not full.is_relative_to(self.root) or full == self.root:
            raise UnsafePath(key)
        return full

    @contextmanager
    def workspace(self, project_id: str) -> Iterator[LocalWorkspace]:
        """The project's files in place; nothing to copy, nothing to clean up."""
        yield LocalWorkspace(self, project_id)

    def size(self, key: str) -> int | None:
        """The file's size in bytes, or None when it is missing."""
        full = self.path(key)
        return full.stat().st_size if full.is_file() else None

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Write atomically (temp file + rename): a reader never sees half a file."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            # A full disk (ENOSPC) must not also keep the half-written temp file on it.
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def link(
        self, key: str, *, base_url: str, ttl_seconds: int, download_name: str | None = None
    ) -> str:
        """A signed /media URL on this server, expiring on the hour after now + ttl."""
        query = sign_path(self._secret, key, ttl_seconds=ttl_seconds, download_name=download_name)
        return f"{base_url}/media/{query}"

    def check(self) -> None:
        """Raise StorageUnavailable unless the media folder can be written."""
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(
                f"{self._setting}: the media folder {self.root} is not writable"
            )
