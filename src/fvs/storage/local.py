"""Local-disk media storage under one root; every path handed out is relative to it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fvs.storage.base import UnsafePath


class LocalStorage:
    """MediaStorage on one local folder (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, relative: str) -> Path:
        """The absolute path of a stored file; refuses anything outside the root."""
        full = (self.root / relative).resolve()
        if not full.is_relative_to(self.root) or full == self.root:
            raise UnsafePath(relative)
        return full

    def check(self) -> None:
        """OSError naming the folder unless it takes a file."""
        try:
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as exc:
            raise OSError(
                f"FVS_DATA_DIR: the media folder {self.root} is not writable "
                f"({exc.strerror or exc})"
            ) from None

    def project_dir(self, project_id: str) -> Path:
        directory = self.path(f"projects/{project_id}")
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def relative(self, full: Path) -> str:
        return full.resolve().relative_to(self.root).as_posix()

    def write_bytes(self, relative: str, data: bytes) -> Path:
        """Write atomically: a reader never sees half a file."""
        return self.write_file(self.path(relative), data)

    def write_file(self, target: Path, data: bytes) -> Path:
        """Write a file atomically (temp file + rename), creating its folder."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        return target
