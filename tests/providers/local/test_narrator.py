"""espeak-ng narration: a real WAV when installed, a clear refusal when not."""

from __future__ import annotations

import os
import shutil
import wave

import pytest

from fvs.providers.base import NarratorUnavailable
from fvs.providers.local.narrator import EspeakNarrator, NarrationFailed


@pytest.fixture
def espeak() -> str:
    """The installed espeak-ng; CI installs it, so there its absence is a failure."""
    path = shutil.which("espeak-ng")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is not installed, and CI must run the narration tests")
        pytest.skip("espeak-ng is not installed here")
    return path


def test_the_installed_espeak_speaks_a_wav(espeak, tmp_path):
    narrator = EspeakNarrator()
    assert narrator.available() is True
    out = narrator.speak(
        "A young woman enters a glowing archive corridor.", tmp_path / "voice" / "line.wav"
    )
    assert out == tmp_path / "voice" / "line.wav"
    with wave.open(str(out)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        seconds = wav.getnframes() / wav.getframerate()
        samples = wav.readframes(wav.getnframes())
    assert 1.0 < seconds < 10.0
    assert any(samples), "the WAV holds only silence"


def test_a_longer_line_takes_longer_to_speak(espeak, tmp_path):
    short = EspeakNarrator(binary=espeak).speak("Hello.", tmp_path / "short.wav")
    long = EspeakNarrator(binary=espeak).speak(
        "Hello. The fox walks into the snowy forest and looks up at the falling snow.",
        tmp_path / "long.wav",
    )
    with wave.open(str(short)) as a, wave.open(str(long)) as b:
        assert b.getnframes() > 2 * a.getnframes()


def test_a_binary_that_appears_on_path_later_is_found(tmp_path, monkeypatch):
    """The narrator looks for its binary on every call, not once at start-up."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    narrator = EspeakNarrator(binary="fvs-test-speaker")
    assert narrator.available() is False
    speaker = bin_dir / "fvs-test-speaker"
    speaker.write_text("#!/bin/sh\nexit 0\n")
    speaker.chmod(0o755)
    assert narrator.available() is True


def test_missing_binary_raises_unavailable(tmp_path):
    narrator = EspeakNarrator(binary="no-such-binary")
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
