"""Lyrics lined up with a track: each section sings its share of the lines, in order.

Without timestamps the best guess is that the song's lines are spread over its
sections in proportion to their length, and evenly within each; a shot is given
the lines sung while it is on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from fvs.media.music import MusicSection
from fvs.providers.beats import PlannedShot

MAX_LYRIC_CHARS = 300  # a prompt carries the gist, not a verse


def lyric_lines(lyrics: str) -> list[str]:
    """The sung lines: non-empty, stripped, section headers like "[Chorus]" left out."""
    lines = (line.strip() for line in lyrics.splitlines())
    return [line for line in lines if line and not (line.startswith("[") and line.endswith("]"))]


def line_times(lines: int, sections: Sequence[MusicSection]) -> list[float]:
    """When each line is sung: lines shared among sections by length, evenly inside each."""
    if not lines or not sections:
        return []
    total = sum(s.end_seconds - s.start_seconds for s in sections) or 1.0
    times: list[float] = []
    given = 0
    elapsed = 0.0
    for index, section in enumerate(sections):
        length = section.end_seconds - section.start_seconds
        elapsed += length
        # Lines up to this section's end, by its share of the song; the last takes the rest.
        upto = lines if index == len(sections) - 1 else round(lines * elapsed / total)
        count = max(0, upto - given)
        for k in range(count):
            times.append(section.start_seconds + (k + 0.5) * length / count)
        given += count
    return times


def lyrics_by_shot(
    lyrics: str, sections: Sequence[MusicSection], shots: Sequence[PlannedShot]
) -> list[str]:
    """The lines sung over each shot, joined with " / "; "" for a shot with none."""
    lines = lyric_lines(lyrics)
    times = line_times(len(lines), sections)
    sung: list[list[str]] = [[] for _ in shots]
    for line, at in zip(lines, times, strict=True):
        for index, shot in enumerate(shots):
            last = index == len(shots) - 1
            if shot.start_seconds <= at < shot.end_seconds or (last and at >= shot.start_seconds):
                sung[index].append(line)
                break
    return [" / ".join(words)[:MAX_LYRIC_CHARS].strip() for words in sung]
