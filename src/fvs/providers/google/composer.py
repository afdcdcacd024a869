"""Lyria 2 as the composer, through Vertex AI's `:predict` REST endpoint.

google-genai 3.x has no method for lyria-002, and its HTTP plumbing is private, so the
call goes out through httpx, authenticated the way the SDK would be: an Application
Default Credentials bearer token in project mode, the API key in express mode. Errors
become the SDK's own `APIError`, so quota and server errors retry like every other model.

One call makes 30 s; a longer track is several calls with consecutive seeds, crossfaded.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import google.auth
import httpx
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request
from google.genai import errors

from fvs.media.audio import UnreadableAudio, decode_audio
from fvs.media.ffmpeg import MediaError, run_ffmpeg
from fvs.providers import registry
from fvs.providers.base import MusicRequest
from fvs.providers.google.client import (
    SHARED_GATE,
    GoogleConfig,
    GoogleProviderError,
    ModelGate,
    call_model,
)
from fvs.providers.local.composer import FAST_WORDS, MINOR_WORDS, SLOW_WORDS, tempo_for

# Lyria 2 is instrumental: the negative prompt keeps voices out of every clip.
NEGATIVE_PROMPT = "vocals, singing"
MAX_INSTRUCTION_CHARS = 1000
SAMPLE_RATE = 48_000  # what Lyria 2 returns, and what the joined track keeps
AUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
MOOD_WORDS = FAST_WORDS | SLOW_WORDS | MINOR_WORDS


def prompt_for(instruction: str) -> str:
    """Lyria's prompt: the instruction, its tempo and mood words, and "instrumental"."""
    text = " ".join(instruction.split())[:MAX_INSTRUCTION_CHARS].rstrip(". ")
    moods = sorted(set(re.findall(r"[a-z]+", instruction.lower())) & MOOD_WORDS)
    parts = ["An instrumental track."]
    if text:
        parts.append(f"{text}.")
    if moods:
        parts.append(f"Mood: {', '.join(moods)}.")
    # A steady pulse lets a music render cut on the beat.
    parts.append(f"Tempo: a steady {tempo_for(instruction):g} BPM.")
    return " ".join(parts)


def predict_url(config: GoogleConfig, model_id: str) -> str:
    """The model's `:predict` URL: project and location in project mode, neither in express."""
    if config.project:
        host = (
            "https://aiplatform.googleapis.com"
            if config.location == "global"
            else f"https://{config.location}-aiplatform.googleapis.com"
        )
        scope = f"projects/{config.project}/locations/{config.location}/"
    elif config.api_key:
        host, scope = "https://aiplatform.googleapis.com", ""
    else:
        raise GoogleProviderError("Google models need a project or an API key; neither is set")
    base = (config.base_url or host).rstrip("/")
    return f"{base}/v1/{scope}publishers/google/models/{model_id}:predict"


def track_audio(answer: dict[str, Any], model_id: str, seed: int) -> bytes:
    """The WAV bytes of a `:predict` answer, or GoogleProviderError saying why there are none."""
    predictions = answer.get("predictions") or []
    for prediction in predictions:
        # The reference shows bytesBase64Encoded; some pages name the field audioContent.
        encoded = prediction.get("bytesBase64Encoded") or prediction.get("audioContent")
        if encoded:
            try:
                return base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise GoogleProviderError(f"{model_id} sent audio that is not base64") from exc
    reasons = [str(p["raiFilteredReason"]) for p in predictions if p.get("raiFilteredReason")]
    why = f"blocked: {'; '.join(reasons)}" if reasons else "an empty answer"
    raise GoogleProviderError(f"{model_id} returned no track for seed {seed} ({why})")


def join_clips(clips: list[Path], out_path: Path, *, min_seconds: float) -> Path:
    """Crossfade the clips in order into one 48 kHz stereo WAV of at least min_seconds."""
    fade = registry.MUSIC_CROSSFADE_SECONDS
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    chain, last = [], "[0:a]"
    for index in range(1, len(clips)):
        chain.append(f"{last}[{index}:a]acrossfade=d={fade:g}:c1=tri:c2=tri[x{index}]")
        last = f"[x{index}]"
    # Pad only if the model's clips came back shorter than the 30 s the calls were planned on.
    chain.append(
        f"{last}aformat=sample_rates={SAMPLE_RATE}:channel_layouts=stereo,"
        f"apad=whole_dur={min_seconds:.3f}[out]"
    )
    partial = out_path.with_name(f".{out_path.name}.partial")
    run_ffmpeg(
        [*inputs, "-filter_complex", ";".join(chain), "-map", "[out]"]
        + ["-c:a", "pcm_s16le", "-f", "wav", "-y", str(partial)]
    )
    os.replace(partial, out_path)
    return out_path


class LyriaComposer:
    """Writes an instrumental WAV for an instruction with Lyria 2 on Vertex AI."""

    def __init__(
        self,
        model_id: str,
        config: GoogleConfig,
        *,
        credentials: Credentials | None = None,
        gate: ModelGate = SHARED_GATE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        model = registry.find(model_id)
        if model is None or model.role != "music":
            raise GoogleProviderError(f"{model_id} is not a music model")
        self.model = model
        self.model_id = model_id
        self.config = config
        self.url = predict_url(config, model_id)
        self.gate = gate
        self.sleep = sleep
        self._credentials = credentials
        self._auth_lock = threading.Lock()
        self._http = httpx.Client(timeout=config.timeout_s)

    def compose(self, request: MusicRequest, out_path: Path) -> Path:
        """Write the track for a request (the Composer protocol)."""
        calls = registry.music_calls(self.model, request.duration_seconds)
        prompt = prompt_for(request.instruction)
        seeds = [request.seed + n for n in range(calls)]
        # Clips are independent calls; the model's gate still bounds them.
        with ThreadPoolExecutor(max_workers=min(calls, self.gate.limit)) as pool:
            clips = list(pool.map(lambda seed: self.clip(prompt, seed), seeds))
        with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=".lyria-") as tmp:
            paths = []
            for index, data in enumerate(clips):
                path = Path(tmp) / f"clip-{index}.wav"
                path.write_bytes(data)
                paths.append(path)
            try:
                return join_clips(paths, out_path, min_seconds=request.duration_seconds)
            except MediaError as exc:
                raise GoogleProviderError(
                    f"{self.model_id}'s clips could not be joined: {exc}"
                ) from exc

    def clip(self, prompt: str, seed: int) -> bytes:
        """One 30 s clip for the prompt and seed, checked to decode as audio."""
        # Seed and sample_count are mutually exclusive; the seed keeps a clip repeatable.
        body = {
            "instances": [{"prompt": prompt, "negative_prompt": NEGATIVE_PROMPT, "seed": seed}],
            "parameters": {},
        }
        try:
            answer = call_model(
                self.model_id, lambda: self._predict(body), gate=self.gate, sleep=self.sleep
            )
        except errors.ClientError as exc:
            if exc.code == 429:  # quota still exhausted after every retry: not a refusal
                raise
            # A refused prompt (safety, recitation) is a 400; say so rather than leak the SDK's.
            raise GoogleProviderError(
                f"{self.model_id} refused the request for seed {seed} "
                f"({exc.code} {exc.status}): {exc.message}"
            ) from exc
        data = track_audio(answer, self.model_id, seed)
        try:
            decode_audio(data)
        except UnreadableAudio as exc:
            raise GoogleProviderError(
                f"{self.model_id} sent audio that does not decode: {exc}"
            ) from exc
        return data

    def _predict(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(self.url, json=body, headers=self._auth_headers())
        errors.APIError.raise_for_response(response)
        answer: dict[str, Any] = response.json()
        return answer

    def _auth_headers(self) -> dict[str, str]:
        if not self.config.project:
            return {"x-goog-api-key": self.config.api_key or ""}
        with self._auth_lock:
            if self._credentials is None:
                self._credentials, _ = google.auth.default(scopes=list(AUTH_SCOPES))
            # Tokens last an hour; a long-lived studio refreshes them as they lapse.
            if not self._credentials.valid:
                self._credentials.refresh(Request())
            return {"Authorization": f"Bearer {self._credentials.token}"}
