"""The music video cut: beat-exact frames, the track as the sound, clip sound by choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fvs.media.audio import load_mono
from fvs.media.encode import ClipEncoder
from fvs.media.ffmpeg import MediaError
from fvs.media.music_cut import Span, cut_to_music, frame_edges
from fvs.media.probe import probe
from tests.media.signals import two_part_track, write_wav

COLOURS = ((200, 30, 30), (30, 200, 30), (30, 30, 200))


def test_frame_edges_round_each_beat_to_its_nearest_frame() -> None:
    spans = [Span(0.0, 0.3093), Span(0.3093, 1.5464), Span(1.5464, 2.1649)]
    assert frame_edges(spans) == [0, 7, 37, 52]


@pytest.mark.parametrize("spans", [[Span(0.1, 1.0)], [Span(0.0, 1.0), Span(1.0, 1.01)]])
def test_spans_that_do_not_start_at_zero_or_last_no_frame_are_refused(spans) -> None:
    with pytest.raises(MediaError):
        frame_edges(spans)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path, list[float]]:
    folder = tmp_path_factory.mktemp("music-cut")
    samples, beats, _ = two_part_track(bpm=97.0, first_beat=0.3, beats=24)
    track = write_wav(folder / "track.wav", samples, rate=22050)
    clips = []
    for index, colour in enumerate(COLOURS):
        clip = folder / f"clip{index}.mp4"
        frames = 24 * 6
        with ClipEncoder(
            clip, width=320, height=180, fps=24, frame_count=frames, seed=index
        ) as enc:
            for _ in range(frames):
                enc.write(np.full((180, 320, 3), colour, np.uint8))
        clips.append(clip)
    return clips, track, [0.0, float(beats[6]), float(beats[14]), float(beats[22])]


def _residual_share(final: Path, track: Path) -> float:
    """How much of the final's sound the track (at its best gain) does not explain."""
    heard, sent = load_mono(final, sample_rate=8000), load_mono(track, sample_rate=8000)
    n = min(len(heard), len(sent))
    heard, sent = heard[:n], sent[:n]
    gain = float(heard @ sent / (sent @ sent))
    return float(np.sum((heard - gain * sent) ** 2) / np.sum(heard**2))


@pytest.mark.slow
def test_clip_sound_is_absent_ducked_or_kept(material, tmp_path: Path) -> None:
    clips, track, points = material
    spans = [Span(a, b) for a, b in zip(points, points[1:], strict=False)]
    shares = {}
    for mode in ("mute", "duck", "keep"):
        out = tmp_path / f"{mode}.mp4"
        cut = cut_to_music(clips, spans, track, out, clip_audio=mode)  # type: ignore[arg-type]
        video = probe(out).video
        assert video is not None and video.frame_count == round(points[-1] * 24)
        assert abs(cut.loudness.integrated_lufs + 14) <= 1 and cut.loudness.true_peak_dbtp <= -1
        shares[mode] = _residual_share(out, track)
    # Kept ambience adds most of its own; the sidechain presses it under the music.
    assert shares["mute"] < shares["duck"] < shares["keep"]
