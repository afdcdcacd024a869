"""Music analysis speed: a 4-minute generated track, as a fraction of real time.

Prints, from one run: seconds to decode the track to 22050 Hz mono (the floor: the
analysis cannot start before the samples exist) and seconds to analyse those samples
(tempo, beats, downbeats, sections), each as a fraction of the track's length (goal for
decode plus analysis: at most 0.1), and analysis against decoding as a ratio. The
first analysis of a short track warms librosa's compiled code and is not counted.
Usage: python bench/bench_music.py [--repeats 3] [--seconds 240]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fvs.media.audio import load_mono
from fvs.media.music_analysis import SAMPLE_RATE, analyse_samples
from fvs.providers.local.composer import LocalComposer

GOAL_SHARE_OF_REAL_TIME = 0.1


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=240.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        track = Path(tmp) / "track.wav"
        made = LocalComposer().compose_track(
            "a march at 97 bpm", duration_seconds=args.seconds, seed=1, output=track
        )
        samples = load_mono(track, sample_rate=SAMPLE_RATE)
        analyse_samples(samples[: SAMPLE_RATE * 20])  # warm-up: numba compiles on first use
        decode = median_seconds(lambda: load_mono(track, sample_rate=SAMPLE_RATE), args.repeats)
        analyse = median_seconds(lambda: analyse_samples(samples), args.repeats)
    length = made.duration_seconds
    share = (decode + analyse) / length
    print(f"track: {length:.1f} s at {made.bpm:g} bpm")
    print(f"decode to 22050 Hz mono: {decode:.2f} s ({decode / length:.4f} of real time)")
    print(f"analyse: {analyse:.2f} s ({analyse / length:.4f} of real time)")
    verdict = "meets" if share <= GOAL_SHARE_OF_REAL_TIME else "misses"
    goal = GOAL_SHARE_OF_REAL_TIME
    print(f"  decode + analyse: {share:.4f} of real time ({verdict} the {goal} goal)")
    print(f"  ratio analyse / decode: {analyse / decode:.1f}")


if __name__ == "__main__":
    main()
