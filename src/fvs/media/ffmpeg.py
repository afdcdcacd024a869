"""The one door to the ffmpeg binary: where it lives and how it is run."""

from __future__ import annotations

import functools
import subprocess

import imageio_ffmpeg

# Every call is quiet and never waits on a terminal; errors still reach stderr.
QUIET_ARGS = ("-hide_banner", "-loglevel", "error", "-nostdin")
STDERR_TAIL_LINES = 12


class MediaError(Exception):
    """ffmpeg failed, or a media file is not what we expected."""


@functools.cache
def ffmpeg_exe() -> str:
    """Return the path of the bundled ffmpeg binary."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def stderr_tail(text: str | bytes, lines: int = STDERR_TAIL_LINES) -> str:
    """Return the last few non-empty lines of ffmpeg's stderr, for error messages."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    kept = [line for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def ffmpeg_command(args: list[str]) -> list[str]:
    """Return the full command line for ffmpeg with our standard quiet flags."""
    return [ffmpeg_exe(), *QUIET_ARGS, *args]


def _run(command: list[str], timeout: float | None) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(
            f"ffmpeg timed out after {timeout} s: {stderr_tail(exc.stderr or b'')}"
        ) from exc
    if done.returncode != 0:
        tail = stderr_tail(done.stderr) or "(no stderr)"
        raise MediaError(f"ffmpeg exited with status {done.returncode}: {tail}")
    return done


def run_ffmpeg(args: list[str], *, timeout: float | None = None) -> None:
    """Run ffmpeg to completion, or raise MediaError with the tail of its stderr."""
    _run(ffmpeg_command(args), timeout)


def run_ffmpeg_report(args: list[str], *, timeout: float | None = None) -> str:
    """Run ffmpeg at the info log level and return its stderr, where filters report."""
    # ebur128 and loudnorm print their measurements at info level, below our quiet default.
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", *args]
    return _run(command, timeout).stderr.decode("utf-8", errors="replace")
