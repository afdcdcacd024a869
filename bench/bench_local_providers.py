"""The local stand-ins' own cost: painting a 1K keyframe and planning durations.

Prints, from one run: milliseconds per 1024x576 keyframe painted by the local
painter against Pillow merely saving a 1024x576 RGB PNG of noise (the floor for
writing the same file), and milliseconds to plan 60 shots over 100 allowed
durations against planning 3 shots over Veo's (4, 6, 8). Both as ratios.
Usage: python bench/bench_local_providers.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.durations import plan_durations
from fvs.providers.local.painter import LocalPainter

SUBJECT = Subject(key="young-woman", description="a young woman", palette=("#c0392b", "#2c3e50"))
BIBLE = ContinuityBible(
    subjects=(SUBJECT,),
    setting="glowing archive corridor",
    palette=("#1b1b2f", "#6b4f3a", "#f2a541"),
    style="cinematic",
)


def median_ms(work: Callable[[int], object], repeats: int) -> float:
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        work(i)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    size = ImageSize(1024, 576)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        painter = LocalPainter()
        reference = painter.paint_reference(SUBJECT, BIBLE, size, folder / "ref.png")
        noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (576, 1024, 3), np.uint8))

        def paint(i: int) -> object:
            shot = ShotPlan(
                index=i,
                text="Glowing corridor with photographs.",
                image_prompt="Glowing corridor with photographs.",
                video_prompt="push in",
                camera_move="push_in",
                duration_seconds=8,
                subject_keys=("young-woman",),
            )
            return painter.paint_keyframe(
                shot, BIBLE, size, {"young-woman": reference}, folder / f"k{i}.png"
            )

        painted = median_ms(paint, repeats)
        saved = median_ms(lambda i: noise.save(folder / f"n{i}.png"), repeats)
    wide = median_ms(lambda _: plan_durations(60, 333, range(1, 101)), repeats)
    veo = median_ms(lambda _: plan_durations(3, 24, (4, 6, 8)), repeats)
    print(f"keyframe 1024x576: {painted:.1f} ms; saving a noise PNG: {saved:.1f} ms")
    print(f"  ratio painter / PNG save: {painted / saved:.2f}")
    print(f"durations 60 shots over 1..100: {wide:.2f} ms; 3 shots over Veo's: {veo:.3f} ms")
    print(f"  ratio wide / Veo: {wide / veo:.1f}")


if __name__ == "__main__":
    main()
