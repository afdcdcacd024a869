from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fvs.media import waveform
from fvs.media.music import MusicAnalysis, MusicSection
from fvs.media.music_analysis import analyse_music
from fvs.media.waveform import draw_waveform, x_of
from tests.media.signals import two_part_track, write_wav

WIDTH, HEIGHT = 400, 120


def _analysis() -> MusicAnalysis:
    return MusicAnalysis(
        duration_seconds=10.0,
        bpm=120.0,
        beats=[0.5 * i for i in range(1, 20)],
        downbeats=[2.0, 4.0, 6.0, 8.0],
        sections=[
            MusicSection(start_seconds=0.0, end_seconds=5.0),
            MusicSection(start_seconds=5.0, end_seconds=10.0),
        ],
        onset_strength_hop_seconds=0.1,
        onset_strength=[0.0] * 100,
    )


@pytest.fixture
def drawn(tmp_path: Path) -> Image.Image:
    samples = np.sin(np.linspace(0, 2000, 22050 * 10)).astype(np.float32) * 0.5
    path = draw_waveform(
        samples, _analysis(), [3.3, 7.1], tmp_path / "w.png", width=WIDTH, height=HEIGHT
    )
    return Image.open(path).convert("RGB")


def test_beats_are_ticks_at_their_times(drawn: Image.Image) -> None:
    assert drawn.getpixel((x_of(0.5, 10.0, WIDTH), 2)) == waveform.BEAT
    assert drawn.getpixel((x_of(2.0, 10.0, WIDTH), waveform.DOWNBEAT_TICK - 2)) == (
        waveform.DOWNBEAT
    )
    # Between two beats the strip shows the section's shade.
    assert drawn.getpixel((x_of(0.75, 10.0, WIDTH), 2)) == waveform.SECTION_SHADES[0]


def test_sections_alternate_shades(drawn: Image.Image) -> None:
    bottom = HEIGHT - 1
    assert drawn.getpixel((x_of(1.2, 10.0, WIDTH), bottom)) == waveform.SECTION_SHADES[0]
    assert drawn.getpixel((x_of(6.2, 10.0, WIDTH), bottom)) == waveform.SECTION_SHADES[1]


def test_cuts_are_full_height_lines(drawn: Image.Image) -> None:
    for cut in (3.3, 7.1):
        x = x_of(cut, 10.0, WIDTH)
        assert {drawn.getpixel((x, y)) for y in range(HEIGHT)} == {waveform.CUT}
    assert drawn.getpixel((x_of(3.3, 10.0, WIDTH) + 3, HEIGHT // 2)) != waveform.CUT


def test_the_wave_fills_the_middle(drawn: Image.Image) -> None:
    middle = (waveform.BEAT_STRIP + HEIGHT) // 2
    assert drawn.getpixel((x_of(1.2, 10.0, WIDTH), middle)) == waveform.WAVE


@pytest.mark.slow
def test_an_analysed_track_draws_its_beats(tmp_path: Path) -> None:
    samples, _, _ = two_part_track(bpm=97.0, first_beat=0.3, beats=96)
    track = write_wav(tmp_path / "track.wav", samples, rate=22050)
    analysis = analyse_music(track)
    image = Image.open(draw_waveform(track, analysis, [], tmp_path / "w.png")).convert("RGB")
    width = image.width
    for t in analysis.beats:
        assert image.getpixel((x_of(t, analysis.duration_seconds, width), 1)) in (
            waveform.BEAT,
            waveform.DOWNBEAT,
        )
    shades = {image.getpixel((x, image.height - 1)) for x in range(width)}
    assert len(analysis.sections) >= 2
    assert set(waveform.SECTION_SHADES) <= shades
