"""Lyria 2 track time: clips called side by side, against one call at a time.

A long track is several 30 s clips. With the fake Vertex server answering each call
after `--latency` seconds (Lyria takes 10 to 20 s a clip), prints from one run: the
seconds to compose a `--seconds` track with the model's gate at one slot (the baseline:
calls in a row) and at the studio's default of four, their ratio (goal: close to
calls / rounds of four), and the share of the fast run spent outside the calls
(decoding, crossfading and writing the WAV).
Usage: python -m bench.bench_lyria [--seconds 100] [--latency 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fvs.providers import registry
from fvs.providers.base import MusicRequest
from fvs.providers.google.client import DEFAULT_MODEL_CONCURRENCY, ModelGate
from fvs.providers.google.composer import LyriaComposer
from tests.fakes.vertex import FakeVertex

LYRIA = "lyria-002"


def compose_seconds(fake: FakeVertex, slots: int, seconds: float, out: Path) -> float:
    """Wall seconds to compose one track with `slots` concurrent calls allowed."""
    composer = LyriaComposer(LYRIA, fake.config(), gate=ModelGate(slots))
    started = time.perf_counter()
    composer.compose(MusicRequest("an upbeat synth groove", seconds, seed=1), out)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=100.0, help="track length asked for")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per Lyria call")
    args = parser.parse_args()
    model = registry.find(LYRIA)
    assert model is not None
    calls = registry.music_calls(model, args.seconds)
    with FakeVertex(latency_seconds=args.latency) as fake, tempfile.TemporaryDirectory() as tmp:
        compose_seconds(fake, 1, 20, Path(tmp) / "warm.wav")  # first-call costs, uncounted
        serial = compose_seconds(fake, 1, args.seconds, Path(tmp) / "serial.wav")
        fast = compose_seconds(fake, DEFAULT_MODEL_CONCURRENCY, args.seconds, Path(tmp) / "f.wav")
    rounds = -(-calls // DEFAULT_MODEL_CONCURRENCY)
    waits = rounds * args.latency
    print(f"{args.seconds:g} s track = {calls} calls of {args.latency:g} s each")
    print(f"one call at a time (baseline): {serial:6.2f} s")
    print(f"{DEFAULT_MODEL_CONCURRENCY} calls at a time:           {fast:6.2f} s")
    print(f"speed-up: {serial / fast:.2f}x (goal: about {calls / rounds:.2f}x)")
    print(f"outside the calls: {max(0.0, fast - waits) / fast:.0%} of the fast run")


if __name__ == "__main__":
    main()
