"""Assembly cost of transitions: smart-rendered windows against a full re-encode.

Encodes six 8 s 720p clips the way the studio encodes every clip, then times, in one run:

1. a full re-encode of the crossfaded film (one filter graph, every frame encoded again),
   the baseline;
2. the same crossfaded film assembled by media.transitions (only the window around each
   crossfade re-encoded, everything else copied); goal <= 0.3x the baseline;
3. the cut-only film (stream copy); goal <= 0.05x the baseline.

Usage: python -m bench.bench_transitions [--clips 6] [--seconds 8] [--seconds-fade 0.5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fvs.media.encode import DELIVERY_FPS, ClipEncoder
from fvs.media.ffmpeg import run_ffmpeg
from fvs.media.probe import probe
from fvs.media.transitions import Transition, assemble, reencode_args

WIDTH, HEIGHT = 1280, 720


def make_clip(path: Path, scene: int, seconds: int) -> Path:
    """A clip of drifting coloured blocks, encoded exactly as the studio encodes clips."""
    rng = np.random.default_rng(scene)
    blocks = rng.integers(0, 256, (HEIGHT // 40, WIDTH // 40 + 1, 3), dtype=np.uint8)
    canvas = blocks.repeat(40, axis=0).repeat(40, axis=1)
    frames = seconds * DELIVERY_FPS
    with ClipEncoder(
        path, width=WIDTH, height=HEIGHT, fps=DELIVERY_FPS, frame_count=frames, seed=scene
    ) as enc:
        for index in range(frames):
            enc.write(np.ascontiguousarray(np.roll(canvas, 2 * index, axis=1)[:, :WIDTH]))
    return path


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--seconds-fade", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        clips = [make_clip(folder / f"c{i}.mp4", i, args.seconds) for i in range(args.clips)]
        fades = [Transition("crossfade", args.seconds_fade)] * (args.clips - 1)
        cuts = [Transition("cut")] * (args.clips - 1)
        probes = [probe(c) for c in clips]
        full = timed(lambda: run_ffmpeg(reencode_args(clips, fades, probes, folder / "full.mp4")))
        smart = timed(lambda: assemble(clips, fades, folder / "smart.mp4"))
        copied = timed(lambda: assemble(clips, cuts, folder / "cut.mp4"))
        film = args.clips * args.seconds
        print(f"{args.clips} clips of {args.seconds} s at {WIDTH}x{HEIGHT} ({film} s film)")
        print(f"full re-encode, crossfades: {full:7.2f} s  (baseline)")
        print(f"smart render, crossfades:   {smart:7.2f} s  ratio {smart / full:.3f} (goal <= 0.3)")
        cut_ratio = copied / full
        print(f"cut only (stream copy):     {copied:7.2f} s  ratio {cut_ratio:.3f} (goal <= 0.05)")


if __name__ == "__main__":
    main()
