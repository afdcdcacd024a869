from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fvs.media.audio import decode_audio
from fvs.media.music_analysis import analyse_music
from fvs.providers.local.composer import LocalComposer, mode_for, section_bars, tempo_for


@pytest.mark.parametrize(
    ("instruction", "bpm"),
    [
        ("an upbeat, energetic track", 128.0),
        ("FAST drums", 128.0),
        ("calm piano", 76.0),
        ("a sad, slow goodbye", 76.0),
        ("fast but calm", 100.0),
        ("a wedding film", 100.0),
        ("sad but 120 bpm please", 120.0),
        ("slow, 92.5BPM", 92.5),
        ("999 bpm", 200.0),
    ],
)
def test_tempo_rules(instruction: str, bpm: float) -> None:
    assert tempo_for(instruction) == bpm


def test_mood_picks_the_mode() -> None:
    assert mode_for("a sad goodbye") == "minor"
    assert mode_for("dark and tense") == "minor"
    assert mode_for("a happy upbeat day") == "major"


def test_sections_share_every_bar() -> None:
    for total in range(8, 80):
        bars = section_bars(total)
        assert [name for name, _ in bars] == ["intro", "verse", "chorus", "outro"]
        assert sum(count for _, count in bars) == total
        assert min(count for _, count in bars) >= 2


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    composer = LocalComposer()
    paths = [tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"]
    for path, seed in zip(paths, (7, 7, 8), strict=True):
        composer.compose_track("upbeat", duration_seconds=12, seed=seed, output=path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_duration_is_whole_bars_near_the_target(tmp_path: Path) -> None:
    made = LocalComposer().compose_track(
        "calm", duration_seconds=40, seed=1, output=tmp_path / "m.wav"
    )
    bar = 4 * 60 / 76
    assert abs(made.sections[-1].end_seconds - 40) <= bar / 2
    info = decode_audio(made.path)
    assert info.duration_seconds == pytest.approx(made.duration_seconds, abs=0.01)
    assert made.sections[0].start_seconds == 0.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("instruction", "seconds"), [("upbeat energetic", 60), ("sad and slow", 90), ("at 97 bpm", 60)]
)
def test_analysis_recovers_the_beat_grid(instruction: str, seconds: float, tmp_path: Path) -> None:
    # Long enough that every section spans at least four bars, the analysis' shortest.
    out = tmp_path / "m.wav"
    made = LocalComposer().compose_track(instruction, duration_seconds=seconds, seed=5, output=out)
    analysis = analyse_music(made.path)
    assert analysis.bpm == pytest.approx(made.bpm, rel=0.01)
    period = 60 / made.bpm
    # The last notes ring on past the final bar line, which is a beat too.
    grid = np.arange(0, made.sections[-1].end_seconds + period / 2, period)
    beats = np.asarray(analysis.beats)
    assert np.abs(beats[:, None] - grid[None, :]).min(axis=1).max() < 0.030
    bars = np.asarray(analysis.downbeats) / (4 * period)
    assert np.abs(bars - np.round(bars)).max() < 0.030 / (4 * period)
    starts = [s.start_seconds for s in analysis.sections[1:]]
    # Every section change is found within a bar (most within a beat; see DECISIONS.md).
    for section in made.sections[1:]:
        assert min(abs(s - section.start_seconds) for s in starts) <= 4 * period * 1.01
