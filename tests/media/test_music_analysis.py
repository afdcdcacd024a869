from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fvs.media.music import MusicAnalysis
from fvs.media.music_analysis import (
    analyse_music,
    boundary_indices,
    downbeat_phase,
    novelty,
    trim_weak_beats,
)
from tests.media.signals import two_part_track, write_wav

BPM = 97.0
BEAT = 60.0 / BPM


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[MusicAnalysis, np.ndarray, int]:
    samples, truth, first_downbeat = two_part_track(bpm=BPM, first_beat=0.3, beats=96)
    path = write_wav(tmp_path_factory.mktemp("music") / "track.wav", samples, rate=22050)
    return analyse_music(path), truth, first_downbeat


def test_downbeat_phase_picks_the_accented_beats() -> None:
    accents = np.tile([0.2, 0.3, 1.0, 0.25], 8)
    assert downbeat_phase(accents) == 2


def test_novelty_peaks_where_the_features_change() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(8), rng.standard_normal(8)
    columns = np.array([a if i < 40 else b for i in range(80)]).T + 0.1 * rng.standard_normal(
        (8, 80)
    )
    columns /= np.linalg.norm(columns, axis=0)
    assert boundary_indices(novelty(columns, 8, 4), 8) == [40]


def test_steady_features_have_no_boundary() -> None:
    columns = np.ones((4, 64)) / 2.0
    assert boundary_indices(novelty(columns, 8, 4), 8) == []


def test_beats_on_silence_are_trimmed() -> None:
    onset = np.zeros(100)
    onset[[20, 40, 60]] = 1.0
    assert trim_weak_beats(np.array([5, 20, 40, 60, 95]), onset).tolist() == [20, 40, 60]


@pytest.mark.slow
def test_tempo_is_within_one_percent(analysed: tuple[MusicAnalysis, np.ndarray, int]) -> None:
    analysis, _, _ = analysed
    assert analysis.bpm == pytest.approx(BPM, rel=0.01)


@pytest.mark.slow
def test_beats_land_on_true_beats(analysed: tuple[MusicAnalysis, np.ndarray, int]) -> None:
    analysis, truth, _ = analysed
    beats = np.asarray(analysis.beats)
    errors = np.abs(beats[:, None] - truth[None, :]).min(axis=1)
    assert errors.max() < 0.030
    found = np.abs(truth[:, None] - beats[None, :]).min(axis=1) < 0.030
    assert found.mean() >= 0.95


@pytest.mark.slow
def test_downbeats_hit_the_accented_beats(analysed: tuple[MusicAnalysis, np.ndarray, int]) -> None:
    analysis, truth, first = analysed
    accented = truth[first::4]
    downbeats = np.asarray(analysis.downbeats)
    assert len(downbeats) >= len(accented) - 1
    assert np.abs(downbeats[:, None] - accented[None, :]).min(axis=1).max() < 0.030


@pytest.mark.slow
def test_a_section_boundary_lies_at_the_change(
    analysed: tuple[MusicAnalysis, np.ndarray, int],
) -> None:
    analysis, truth, _ = analysed
    change = truth[len(truth) // 2 + 1]
    starts = [s.start_seconds for s in analysis.sections[1:]]
    assert min(abs(s - change) for s in starts) <= BEAT
    assert analysis.sections[0].start_seconds == 0.0
    assert analysis.sections[-1].end_seconds == pytest.approx(analysis.duration_seconds)


@pytest.mark.slow
def test_analysis_round_trips_as_json(
    analysed: tuple[MusicAnalysis, np.ndarray, int], tmp_path: Path
) -> None:
    analysis, _, _ = analysed
    stored = json.loads(analysis.model_dump_json())
    assert MusicAnalysis.model_validate(stored) == analysis
