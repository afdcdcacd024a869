"""espeak-ng narration: a real WAV when installed, a clear refusal when not."""

from __future__ import annotations

import shutil
import wave

import pytest

from fvs.providers.base import NarratorUnavailable
from fvs.providers.local.narrator import EspeakNarrator, NarrationFailed

HAVE_ESPEAK = shutil.which("espeak-ng") is not None


def test_available_matches_path():
    assert EspeakNarrator().available() is HAVE_ESPEAK


def test_speak_writes_a_wav(tmp_path):
    if not HAVE_ESPEAK:
        pytest.skip("espeak-ng is not installed here")
    out = EspeakNarrator().speak(
        "A young woman enters a glowing archive corridor.", tmp_path / "voice" / "line.wav"
    )
    with wave.open(str(out)) as wav:
        assert wav.getnframes() / wav.getframerate() > 0.3


def test_missing_binary_raises_unavailable(tmp_path):
    narrator = EspeakNarrator(binary="espeak-ng-that-does-not-exist")
    assert narrator.available() is False
    with pytest.raises(NarratorUnavailable):
        narrator.speak("hello", tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()


def test_failing_binary_raises_clear_error(tmp_path):
    fake = tmp_path / "fake-espeak"
    fake.write_text("#!/bin/sh\necho 'voice not found' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(NarrationFailed, match="exited with 3: voice not found"):
        EspeakNarrator(binary=str(fake)).speak("hello", tmp_path / "x.wav")


def test_hung_binary_times_out(tmp_path):
    fake = tmp_path / "slow-espeak"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    with pytest.raises(NarrationFailed, match="longer than"):
        EspeakNarrator(binary=str(fake), timeout_seconds=0.5).speak("hi", tmp_path / "x.wav")
