"""GeminiNarrator through the real SDK against the fake: PCM in, a valid WAV out."""

from __future__ import annotations

import wave
from pathlib import Path

from fvs.providers.google.client import make_client
from fvs.providers.google.narrator import GeminiNarrator, pcm_rate
from tests.fakes.vertex import FakeVertex


def test_speak_writes_a_mono_16_bit_wav(tmp_path: Path) -> None:
    with FakeVertex() as fake:
        narrator = GeminiNarrator("gemini-2.5-flash-preview-tts", make_client(fake.config()))
        assert narrator.available()
        out = narrator.speak("The fox looks up at the snow.", tmp_path / "brief.wav")
        [sent] = fake.recorded("generateContent")
    generation = sent.body["generationConfig"]
    assert generation["responseModalities"] == ["AUDIO"]
    assert "Kore" in str(generation["speechConfig"])
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        assert wav.getnframes() / wav.getframerate() > 1.0


def test_rate_comes_from_the_mime_type() -> None:
    assert pcm_rate("audio/L16;codec=pcm;rate=16000") == 16_000
    assert pcm_rate("audio/L16") == 24_000
