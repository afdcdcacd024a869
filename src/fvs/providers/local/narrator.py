"""Offline narration through the espeak-ng command line tool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from fvs.providers.base import NarratorUnavailable

SPEAK_TIMEOUT_SECONDS = 60


class NarrationFailed(RuntimeError):
    """espeak-ng ran but did not produce a usable WAV file."""


class EspeakNarrator:
    """Narrator backed by espeak-ng; checks for the binary on every call."""

    def __init__(
        self,
        binary: str = "espeak-ng",
        voice: str = "en-us",
        words_per_minute: int = 160,
        timeout_seconds: float = SPEAK_TIMEOUT_SECONDS,
    ) -> None:
        self.binary = binary
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.timeout_seconds = timeout_seconds

    def _path(self) -> str | None:
        return shutil.which(self.binary)

    def available(self) -> bool:
        """Whether espeak-ng can be found on PATH."""
        return self._path() is not None

    def speak(self, text: str, out_path: Path) -> Path:
        """Write text as speech to out_path (WAV); raise NarratorUnavailable when missing."""
        binary = self._path()
        if binary is None:
            raise NarratorUnavailable(f"{self.binary} is not installed or not on PATH")
        if not text.strip():
            raise ValueError("narration text is empty")
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        # Text goes through stdin, so a line starting with "-" is never read as an option.
        command = [
            binary,
            "-v",
            self.voice,
            "-s",
            str(self.words_per_minute),
            "-w",
            str(out_path),
            "--stdin",
        ]
        try:
            result = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise NarrationFailed(
                f"{self.binary} took longer than {self.timeout_seconds:g} s"
            ) from exc
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip() or "no error output"
            raise NarrationFailed(f"{self.binary} exited with {result.returncode}: {detail}")
        if not out_path.is_file() or out_path.stat().st_size <= 44:
            raise NarrationFailed(f"{self.binary} wrote no audio to {out_path}")
        return out_path
