"""Transitions rendered only where they are: blends inside, copied frames outside."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from fvs.media.encode import ClipEncoder, baseline_encode_args
from fvs.media.ffmpeg import run_ffmpeg
from fvs.media.probe import probe
from fvs.media.transitions import (
    Transition,
    assemble,
    overlap_seconds,
    plan_windows,
    read_layout,
)

FPS = 24
CHROMIUM = Path("/usr/bin/chromium")


def scene_clip(path: Path, scene: int, *, seconds: int = 4) -> Path:
    """A clip of one scene's coloured blocks drifting sideways, different in every scene."""
    rng = np.random.default_rng(scene)
    blocks = rng.integers(0, 256, (10, 20, 3), dtype=np.uint8).repeat(20, 0).repeat(20, 1)
    with ClipEncoder(
        path, width=320, height=180, fps=FPS, frame_count=seconds * FPS, seed=scene
    ) as enc:
        for index in range(seconds * FPS):
            enc.write(np.ascontiguousarray(np.roll(blocks, index, axis=1)[:180, :320]))
    return path


def decoded(path: Path) -> list[np.ndarray]:
    """Every frame's luma plane, decoded with PyAV (an error fails the test)."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.int16) for f in container.decode(video=0)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clips")
    return [scene_clip(folder / f"c{i}.mp4", i) for i in range(3)]


@pytest.fixture(scope="module")
def film(clips: list[Path], tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("film") / "film.mp4"
    transitions = [Transition("crossfade", 0.5), Transition("dip_to_black", 1.0)]
    return assemble(clips, transitions, out), transitions


def test_clips_have_keyframes_a_second_inside_each_end(clips: list[Path]) -> None:
    layout = read_layout(clips[0])
    assert layout.frames == 96
    assert layout.keyframes == (0, 24, 72)


def test_windows_are_gop_aligned_and_short(clips: list[Path]) -> None:
    layouts = [read_layout(c) for c in clips]
    planned = plan_windows(layouts, [Transition("crossfade", 0.5), Transition("cut")])
    assert planned is not None
    ranges, windows = planned
    assert ranges == [(0, 72), (24, 96), (0, 96)]
    assert [(w.index, w.tail, w.head) for w in windows] == [(0, 72, 24)]


def test_film_is_shorter_by_the_overlaps(film) -> None:
    assembly, transitions = film
    assert assembly.method == "smart"
    assert overlap_seconds(transitions) == 1.5
    info = probe(assembly.joined.path)
    assert info.video is not None and info.video.frame_count == 3 * 96 - 12 - 24
    assert info.audio is not None and abs((info.audio.duration or 0) - 10.5) < 0.05
    # Only the two windows were re-encoded: 24 + 24 and 24 + 24 frames of 288.
    assert assembly.reencoded_frames == 96


def test_frames_outside_the_windows_are_the_clips_bit_for_bit(film, clips: list[Path]) -> None:
    assembly, _ = film
    out = decoded(assembly.joined.path)
    assert len(out) == 252
    first, second, third = (decoded(c) for c in clips)
    # Film frames 0-71 are clip 0's, 108-155 clip 1's 24-71, 180-251 clip 2's 24-95.
    for film_range, clip, start in ((range(0, 72), first, 0), (range(108, 156), second, 24),
                                    (range(180, 252), third, 24)):  # fmt: skip
        for offset, index in enumerate(film_range):
            assert np.array_equal(out[index], clip[start + offset]), index
    # Re-encoded but unblended frames are close to the clip, not identical copies.
    assert np.abs(out[72] - first[72]).mean() < 3


def test_crossfade_middle_frame_blends_both_shots(film, clips: list[Path]) -> None:
    assembly, _ = film
    out = decoded(assembly.joined.path)
    first, second = decoded(clips[0]), decoded(clips[1])
    # The overlap is film frames 84-95: clip 0's 84-95 over clip 1's 0-11.
    middle, a, b = out[90].astype(float), first[90].astype(float), second[6].astype(float)
    alpha = float(((middle - b) * (a - b)).sum() / ((a - b) ** 2).sum())
    residual = np.abs(middle - (alpha * a + (1 - alpha) * b)).mean()
    assert 0.3 < alpha < 0.7
    assert residual < 4 < min(np.abs(middle - a).mean(), np.abs(middle - b).mean())


def test_dip_to_black_middle_frame_is_near_black(film) -> None:
    assembly, _ = film
    out = decoded(assembly.joined.path)
    # The dip is film frames 156-179; limited-range black is luma 16.
    assert out[168].mean() < 24
    assert out[150].mean() > 60 and out[185].mean() > 60


def test_cut_only_is_a_stream_copy(clips: list[Path], tmp_path: Path) -> None:
    assembly = assemble(clips, [Transition("cut"), Transition("continuous")], tmp_path / "f.mp4")
    assert assembly.method == "copy" and assembly.reencoded_frames == 0
    assert len(decoded(assembly.joined.path)) == 288


def test_mismatched_clips_are_reencoded_whole(clips: list[Path], tmp_path: Path) -> None:
    other = tmp_path / "other.mp4"
    with ClipEncoder(other, width=320, height=240, fps=FPS, frame_count=48) as enc:
        for _ in range(48):
            enc.write(np.full((240, 320, 3), 200, np.uint8))
    assembly = assemble([clips[0], other], [Transition("crossfade", 0.5)], tmp_path / "f.mp4")
    assert assembly.method == "reencode"
    frames = decoded(assembly.joined.path)
    assert len(frames) == 96 + 48 - 12
    assert frames[0].shape == (180, 320)


def test_unknown_transition_is_refused(clips: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="wipe"):
        assemble(clips[:2], [Transition("wipe")], tmp_path / "f.mp4")


@pytest.mark.slow
def test_film_with_transitions_plays_in_chromium(film) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing, and CI must run the browser tests")
        pytest.skip("/usr/bin/chromium is missing")
    from playwright.sync_api import sync_playwright

    from tests.web.test_studio_browser import ARGS

    assembly, _ = film
    folder = assembly.joined.path.parent
    (folder / "index.html").write_text('<video id="v" src="film.mp4" muted></video>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.wait_for_function("document.querySelector('#v').readyState >= 2", timeout=30_000)
            page.evaluate("document.querySelector('#v').currentTime = 7.0")
            page.wait_for_function("document.querySelector('#v').readyState >= 2", timeout=30_000)
            assert page.evaluate("document.querySelector('#v').error") is None
            assert abs(page.evaluate("document.querySelector('#v').duration") - 10.5) < 0.1
            browser.close()
    finally:
        server.shutdown()


def test_a_soundless_clip_gets_silence_under_its_fade(clips: list[Path], tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    run_ffmpeg(baseline_encode_args(silent, frame_count=48, width=320, height=180))
    assert probe(silent).audio is None
    assembly = assemble([clips[0], silent], [Transition("crossfade", 0.5)], tmp_path / "f.mp4")
    assert assembly.method == "reencode"
    info = probe(assembly.joined.path)
    assert info.video is not None and info.video.frame_count == 96 + 48 - 12
    assert info.audio is not None and abs((info.audio.duration or 0) - 5.5) < 0.05
