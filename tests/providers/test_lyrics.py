"""Lyrics lined up with a track's sections and the shots cut on its beats."""

from __future__ import annotations

from fvs.media.music import MusicSection
from fvs.providers.beats import PlannedShot
from fvs.providers.lyrics import line_times, lyric_lines, lyrics_by_shot

SECTIONS = [
    MusicSection(start_seconds=0, end_seconds=10),
    MusicSection(start_seconds=10, end_seconds=30),
]


def test_blank_lines_and_section_headers_are_not_sung() -> None:
    assert lyric_lines("[Verse 1]\n  Rain falls  \n\n[Chorus]\nLights rise\n") == [
        "Rain falls",
        "Lights rise",
    ]


def test_lines_are_shared_by_section_length_and_spread_evenly_inside() -> None:
    # A third of the song is the first section: one line of three there, two in the second.
    assert line_times(3, SECTIONS) == [5.0, 15.0, 25.0]
    assert line_times(0, SECTIONS) == [] and line_times(2, []) == []


def test_each_shot_gets_the_lines_sung_while_it_is_on_screen() -> None:
    shots = [
        PlannedShot(index=0, start_seconds=0.0, end_seconds=12.0, film_seconds=8),
        PlannedShot(index=1, start_seconds=12.0, end_seconds=20.0, film_seconds=8),
        PlannedShot(index=2, start_seconds=20.0, end_seconds=30.0, film_seconds=10),
    ]
    sung = lyrics_by_shot("One\nTwo\nThree", SECTIONS, shots)
    assert sung == ["One", "Two", "Three"]
    assert lyrics_by_shot("", SECTIONS, shots) == ["", "", ""]
