"""The storage interface services and the pipeline depend on; local disk implements it today."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class UnsafePath(ValueError):
    """A relative media path that points outside the media root."""


class MediaStorage(Protocol):
    """Media files addressed by paths relative to one root (`projects/<id>/...`)."""

    def path(self, relative: str) -> Path:
        """A local path for a stored file; UnsafePath when it leaves the root."""
        ...

    def check(self) -> None:
        """Raise with one plain sentence naming the setting unless the store takes a write."""
        ...

    def project_dir(self, project_id: str) -> Path:
        """The project's working folder, created when missing."""
        ...

    def relative(self, full: Path) -> str:
        """The stored name of a file inside the root."""
        ...

    def write_bytes(self, relative: str, data: bytes) -> Path:
        """Store bytes atomically under a relative name."""
        ...

    def write_file(self, target: Path, data: bytes) -> Path:
        """Write bytes atomically to a path inside the root."""
        ...
