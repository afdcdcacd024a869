"""Gemini text-to-speech as the narrator: raw PCM from the model, written as a WAV file."""

from __future__ import annotations

import os
import re
import wave
from pathlib import Path

from google.genai import types

from fvs.providers.google.client import (
    GoogleModel,
    GoogleProviderError,
)

DEFAULT_VOICE = "Kore"
DEFAULT_RATE = 24_000
RATE = re.compile(r"rate=(\d+)")


class NoAudioReturned(GoogleProviderError):
    """The speech model answered without audio."""


def pcm_rate(mime_type: str) -> int:
    """The sample rate named in a PCM mime type, e.g. "audio/L16;codec=pcm;rate=24000"."""
    match = RATE.search(mime_type)
    return int(match.group(1)) if match else DEFAULT_RATE


def write_wav(pcm: bytes, rate: int, out_path: Path) -> Path:
    """Write 16-bit mono PCM as a WAV file, atomically."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")
    with wave.open(str(partial), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    os.replace(partial, out_path)
    return out_path


class GeminiNarrator(GoogleModel):
    """Speaks voice briefs with a Gemini TTS model."""

    voice = DEFAULT_VOICE

    def available(self) -> bool:
        """Always true: the model is remote, and configuration was checked when it was built."""
        return True

    def speak(self, text: str, out_path: Path) -> Path:
        """Say the text in the configured voice and save it as a mono 16-bit WAV."""
        voice = types.VoiceConfig(
            prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=self.voice)
        )
        config = types.GenerateContentConfig(
            response_modalities=["AUDIO"], speech_config=types.SpeechConfig(voice_config=voice)
        )
        response = self.call(
            lambda: self.client.models.generate_content(
                model=self.model_id, contents=text, config=config
            ),
        )
        pcm, rate = self._pcm(response)
        return write_wav(pcm, rate, out_path)

    def _pcm(self, response: types.GenerateContentResponse) -> tuple[bytes, int]:
        chunks, rate = [], DEFAULT_RATE
        for candidate in response.candidates or []:
            for part in (candidate.content.parts if candidate.content else None) or []:
                blob = part.inline_data
                if blob and blob.data and (blob.mime_type or "").startswith("audio/"):
                    # Gemini sends little-endian samples despite the L16 name; wave wants that.
                    chunks.append(blob.data)
                    rate = pcm_rate(blob.mime_type or "")
        if not chunks:
            reason = response.candidates[0].finish_reason if response.candidates else None
            raise NoAudioReturned(f"{self.model_id} returned no audio (finish reason {reason})")
        return b"".join(chunks), rate
