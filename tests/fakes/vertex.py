"""A local stand-in for the Vertex AI REST endpoints google-genai calls, with real media.

Serves, under /v1beta1/ (and /v1/, where Lyria lives) and both path shapes
(`projects/{p}/locations/{l}/` or none, as express mode sends),
`publishers/google/models/{model}:{method}` for: generateContent (plan JSON, PNG images,
PCM speech), predict (Imagen; Lyria 2's 30 s WAV clips), predictLongRunning (Veo start)
and fetchPredictOperation (Veo poll, with an MP4 encoded by our own ClipEncoder).
Tests script failures and record every request (body, headers, query) the client sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from google import genai
from google.genai import types
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fvs.providers import registry
from fvs.providers.base import CAMERA_MOVES
from fvs.providers.durations import plan_durations
from fvs.providers.google.client import GoogleConfig
from tests.fakes.vertex_media import (
    MUSIC_SECONDS,
    TTS_RATE,
    clip_bytes,
    music_wav_bytes,
    pcm_bytes,
    png_bytes,
)

PATH = re.compile(
    r"^/v1(?:beta1)?/(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/google/models/(?P<model>[^/:]+):(?P<method>\w+)$"
)
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
UNSIZED_IMAGE = {"16:9": (1344, 768), "9:16": (768, 1344), "1:1": (1024, 1024)}
# How a blocked music request answers: filtered (a prediction with a reason), empty (no
# predictions at all) or refused (a 400 naming the safety filter).
MUSIC_BLOCKS = ("filtered", "empty", "refused")
MUSIC_BLOCK_REASON = "The prompt was blocked by the fake's recitation checks."
FILTER_REASON = (
    "Veo could not generate videos because the input image violates Vertex AI's "
    "usage guidelines. Support codes: 58061214"
)


@dataclass(frozen=True)
class Recorded:
    method: str  # generateContent | predictLongRunning | fetchPredictOperation | predict
    model: str
    body: dict[str, Any]
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # time.monotonic() on arrival, to see the client's backoff


@dataclass
class _Operation:
    model: str
    parameters: dict[str, Any]
    outcome: str  # video | filtered | error | gcs
    polls: int = 0


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _error(status: int, message: str) -> JSONResponse:
    body = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status)}}
    return JSONResponse(body, status_code=status)


def _texts(body: dict[str, Any]) -> str:
    return "\n".join(p.get("text", "") for c in body.get("contents", []) for p in c["parts"])


def _refused_references(
    info: registry.ModelInfo, instance: dict[str, Any], parameters: dict[str, Any]
) -> str | None:
    """Veo's rules for reference images, as Vertex answers them: None when the request keeps
    them (up to the model's count of ASSET images, 8 s, 16:9, no first or last frame)."""
    references = instance.get("referenceImages")
    if not references:
        return None
    if instance.get("image") or instance.get("lastFrame"):
        return "reference images cannot be combined with an image or a last frame"
    if len(references) > info.max_reference_images:
        return f"{info.id} takes at most {info.max_reference_images} reference images"
    if any(r.get("referenceType") != "ASSET" or not r.get("image") for r in references):
        return "each reference image needs an image and referenceType ASSET"
    seconds = parameters.get("durationSeconds", 8)
    aspect = parameters.get("aspectRatio", "16:9")
    if not info.takes_references(seconds=seconds, aspect_ratio=aspect):
        return f"reference images need an 8 s 16:9 clip, not {seconds} s {aspect}"
    return None


def _answer(parts: list[dict[str, Any]], finish: str = "STOP") -> dict[str, Any]:
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": finish}
    return {"candidates": [candidate], "modelVersion": "fake", "usageMetadata": {}}


@dataclass
class FakeVertex:
    """The fake server; use as a context manager, or call start() and stop()."""

    polls_before_done: int = 1  # polls answered "running" before the one that is done
    never_finish: bool = False
    latency_seconds: float = 0.0  # added to every answer: a provider far away
    image_size_override: tuple[int, int] | None = None
    music_seconds: float = MUSIC_SECONDS  # each Lyria clip's length; Lyria 2 makes 30 s
    image_bytes_override: bytes | None = None  # answered as the PNG: a bomb, or garbage
    requests: list[Recorded] = field(default_factory=list)
    plan_faults: list[str] = field(default_factory=list)  # broken_json | bad_durations | ...
    base_url: str = ""
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _outcomes: list[str] = field(default_factory=list)
    _blocked_images: int = 0
    _blocked_tracks: list[str] = field(default_factory=list)
    _operations: dict[str, _Operation] = field(default_factory=dict)
    _files: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------

    def fail_next(self, method: str, status: int = 429, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with an HTTP error."""
        self._failures.setdefault(method, []).extend([status] * times)

    def fail_storm(
        self, method: str, times: int, statuses: tuple[int, ...] = (503, 429, 500)
    ) -> None:
        """Answer the next `times` calls of `method` with 5xx and 429 errors, in turn."""
        self._failures.setdefault(method, []).extend(
            statuses[i % len(statuses)] for i in range(times)
        )

    def filter_next_videos(self, times: int = 1) -> None:
        """The next started videos finish with no clip and a safety-filter count."""
        self._outcomes.extend(["filtered"] * times)

    def error_next_videos(self, times: int = 1) -> None:
        """The next started videos finish with an operation error."""
        self._outcomes.extend(["error"] * times)

    def gcs_next_videos(self, times: int = 1) -> None:
        """The next started videos finish with a gs:// URI instead of bytes."""
        self._outcomes.extend(["gcs"] * times)

    def link_next_videos(self, times: int = 1) -> None:
        """The next started videos finish with an http URI on this fake instead of bytes."""
        self._outcomes.extend(["link"] * times)

    def block_next_images(self, times: int = 1) -> None:
        """The next image requests finish with IMAGE_SAFETY and no image."""
        self._blocked_images += times

    def block_next_tracks(self, how: str = "filtered", times: int = 1) -> None:
        """The next music requests are blocked, answering as MUSIC_BLOCKS says for `how`."""
        if how not in MUSIC_BLOCKS:
            raise ValueError(f"how is one of {MUSIC_BLOCKS}, not {how!r}")
        self._blocked_tracks.extend([how] * times)

    def break_next_plans(self, *faults: str) -> None:
        """Spoil the next plan answers: broken_json, bad_durations, wrong_count, odd_moves."""
        self.plan_faults.extend(faults)

    def recorded(self, method: str) -> list[Recorded]:
        """The recorded requests of one REST method, oldest first."""
        return [r for r in self.requests if r.method == method]

    def reset(self) -> None:
        """Forget requests, scripts and operations; keep the server running."""
        with self._lock:
            self.requests.clear()
            self.plan_faults.clear()
            self._failures.clear()
            self._outcomes.clear()
            self._operations.clear()
            self._files.clear()
            self._blocked_images = 0
            self._blocked_tracks.clear()
        self.polls_before_done, self.never_finish, self.image_size_override = 1, False, None
        self.music_seconds = MUSIC_SECONDS
        self.image_bytes_override = None

    # -- clients ---------------------------------------------------------------------------

    def config(self) -> GoogleConfig:
        """Express-mode settings pointing at this fake (no Google credentials needed)."""
        return GoogleConfig(api_key="fake-api-key", base_url=self.base_url)

    def client(self) -> genai.Client:
        """A real google-genai client in express mode, pointed at this fake."""
        return genai.Client(
            vertexai=True,
            api_key="fake-api-key",
            http_options=types.HttpOptions(base_url=self.base_url),
        )

    # -- server ----------------------------------------------------------------------------

    def start(self) -> FakeVertex:
        """Serve on a free port of 127.0.0.1 from a daemon thread; sets base_url."""
        app = Starlette(routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the fake Vertex server did not start")
            threading.Event().wait(0.02)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        """Ask the server to exit and wait for its thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)

    def __enter__(self) -> FakeVertex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _dispatch(self, request: Request) -> Response:
        if request.url.path.startswith("/files/"):
            return self._file(request.url.path)
        match = PATH.match(request.url.path)
        if match is None:
            return _error(404, f"no such endpoint {request.url.path}")
        body = await request.json() if request.method == "POST" else {}
        method, model = match["method"], match["model"]
        with self._lock:
            seen = Recorded(
                method,
                model,
                body,
                request.url.path,
                headers=dict(request.headers),
                query=dict(request.query_params),
                at=time.monotonic(),
            )
            self.requests.append(seen)
            pending = self._failures.get(method)
            status = pending.pop(0) if pending else None
        if status is not None:
            return _error(status, f"scripted {status} for {method}")
        handler = {
            "generateContent": self._generate_content,
            "predictLongRunning": self._start_video,
            "fetchPredictOperation": self._fetch_operation,
            "predict": self._predict_music if model.startswith("lyria-") else self._predict_images,
        }.get(method)
        if handler is None:
            return _error(404, f"the fake does not serve {method}")
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        # In a thread: encoding a clip must not stall the other callers' answers.
        return await asyncio.to_thread(handler, model, body, match)

    # -- generateContent -------------------------------------------------------------------

    def _generate_content(self, model: str, body: dict[str, Any], match: Any) -> Response:
        generation = body.get("generationConfig", {})
        modalities = generation.get("responseModalities", [])
        if "IMAGE" in modalities:
            return self._image(generation.get("imageConfig", {}))
        if "AUDIO" in modalities:
            blob = {
                "mimeType": f"audio/L16;codec=pcm;rate={TTS_RATE}",
                "data": _b64(pcm_bytes(_texts(body))),
            }
            return JSONResponse(_answer([{"inlineData": blob}]))
        if generation.get("responseMimeType") == "application/json":
            return self._plan(_texts(body))
        return JSONResponse(_answer([{"text": "ok"}]))

    def _image(self, image_config: dict[str, Any]) -> Response:
        with self._lock:
            blocked = self._blocked_images > 0
            self._blocked_images -= blocked
        if blocked:
            answer = _answer([], finish="IMAGE_SAFETY")
            answer["candidates"][0]["finishMessage"] = "The image was blocked by the fake."
            return JSONResponse(answer)
        aspect = image_config.get("aspectRatio", "1:1")
        label = image_config.get("imageSize")
        size = registry.IMAGE_SIZES.get((label, aspect)) if label else UNSIZED_IMAGE.get(aspect)
        width, height = self.image_size_override or size or (1024, 1024)
        data = self.image_bytes_override or png_bytes(width, height)
        blob = {"mimeType": "image/png", "data": _b64(data)}
        return JSONResponse(_answer([{"text": "Here is the image."}, {"inlineData": blob}]))

    def _predict_images(self, model: str, body: dict[str, Any], match: Any) -> Response:
        """Imagen's :predict: one PNG per requested sample, or a filtered prediction."""
        parameters = body.get("parameters", {})
        with self._lock:
            blocked = self._blocked_images > 0
            self._blocked_images -= blocked
        if blocked:
            return JSONResponse({"predictions": [{"raiFilteredReason": "blocked by the fake"}]})
        label = parameters.get("sampleImageSize", "1K")
        aspect = parameters.get("aspectRatio", "1:1")
        width, height = registry.IMAGE_SIZES.get((label, aspect), (1024, 1024))
        image = {"bytesBase64Encoded": _b64(png_bytes(width, height)), "mimeType": "image/png"}
        return JSONResponse({"predictions": [image] * int(parameters.get("sampleCount", 1))})

    def _predict_music(self, model: str, body: dict[str, Any], match: Any) -> Response:
        """Lyria 2's :predict: one 30 s 48 kHz stereo WAV per sample, made from the seed."""
        [instance] = body.get("instances") or [{}]
        count = body.get("parameters", {}).get("sample_count")
        if not instance.get("prompt"):
            return _error(400, "instances[0].prompt is required")
        if "seed" in instance and count is not None:
            return _error(400, "seed and sample_count cannot be used together")
        with self._lock:
            blocked = self._blocked_tracks.pop(0) if self._blocked_tracks else None
        if blocked == "refused":
            return _error(400, MUSIC_BLOCK_REASON)
        if blocked == "empty":
            return JSONResponse({"predictions": []})
        if blocked == "filtered":
            return JSONResponse({"predictions": [{"raiFilteredReason": MUSIC_BLOCK_REASON}]})
        wav = music_wav_bytes(int(instance.get("seed", 0)), self.music_seconds)
        track = {"bytesBase64Encoded": _b64(wav), "mimeType": "audio/wav"}
        return JSONResponse({"predictions": [track] * int(count or 1)})

    def _plan(self, prompt: str) -> Response:
        numbers = dict(re.findall(r"\b([A-Z_]+)=([\d.,]+)", prompt))
        count = int(numbers.get("SHOT_COUNT", "1"))
        allowed = [int(d) for d in numbers.get("ALLOWED_DURATIONS", "8").split(",")]
        durations = list(plan_durations(count, float(numbers.get("TARGET_SECONDS", "8")), allowed))
        if "SHOT_DURATIONS" in numbers:  # a music render: the beat grid fixed every length
            durations = [int(d) for d in numbers["SHOT_DURATIONS"].split(",")]
        with self._lock:
            fault = self.plan_faults.pop(0) if self.plan_faults else None
        if fault == "broken_json":
            return JSONResponse(_answer([{"text": '{"shots": [{"text": "unterminated'}]))
        if fault == "bad_durations":
            durations = [max(allowed) + 1] * count
        if fault == "wrong_count":
            count += 1
            durations.append(allowed[0])
        odd = fault == "odd_moves"
        moves = ["dolly_zoom" if odd else CAMERA_MOVES[i % 6] for i in range(count)]
        # Like a model that follows the prompt and mixes the two: every other shot of the
        # reference length (the second, the fourth...) is filmed from references.
        refs = numbers.get("REFERENCE_SECONDS")
        sources = [
            "references" if str(d) == refs and i % 2 else "keyframe"
            for i, d in enumerate(durations)
        ]
        # Offered a choice per cut, the model answers in its own words, once out of bounds.
        offered = "TRANSITIONS=" in prompt
        cuts = [("Dip to black", "crossfade", "wipe")[i % 3] if offered else None
                for i in range(count)]  # fmt: skip
        plan = {
            "shots": [
                {"text": f"Beat {i + 1}.", "image_prompt": f"Frame {i + 1} of the fox.",
                 "video_prompt": f"The fox moves, shot {i + 1}.", "camera_move": moves[i],
                 "duration_seconds": durations[i], "subject_keys": ["Red Fox"],
                 "filmed_from": sources[i],
                 **({"transition": cuts[i]} if cuts[i] else {})}
                for i in range(count)
            ],
            "bible": {
                "subjects": [{"key": "Red Fox", "description": "a red fox", "palette": []}],
                "setting": "a snowy forest", "palette": ["#102030", "#f0f0f0"],
                "style": "cinematic", "text_overlays_allowed": False,
            },
        }  # fmt: skip
        return JSONResponse(_answer([{"text": json.dumps(plan)}]))

    # -- Veo -------------------------------------------------------------------------------

    def _start_video(self, model: str, body: dict[str, Any], match: Any) -> Response:
        instance = body["instances"][0]
        info = registry.find(model)
        if info is None or info.role != "video":
            return _error(404, f"model {model} not found")
        seconds = body.get("parameters", {}).get("durationSeconds", 8)
        if seconds not in info.durations:
            return _error(400, f"durationSeconds {seconds} is not supported by {model}")
        refused = _refused_references(info, instance, body.get("parameters", {}))
        if refused:
            return _error(400, refused)
        if instance.get("image") and not info.image_to_video:
            return _error(400, f"{model} does not support image-to-video")
        if instance.get("lastFrame") and not (info.last_frame and instance.get("image")):
            return _error(400, f"{model} takes a lastFrame only with an image, if at all")
        project, location = match["project"] or "fake-project", match["location"] or "us-central1"
        name = (
            f"projects/{project}/locations/{location}/publishers/google/models/{model}"
            f"/operations/{uuid.uuid4()}"
        )
        with self._lock:
            outcome = self._outcomes.pop(0) if self._outcomes else "video"
            self._operations[name] = _Operation(model, body.get("parameters", {}), outcome)
        return JSONResponse({"name": name})

    def _fetch_operation(self, model: str, body: dict[str, Any], match: Any) -> Response:
        name = body.get("operationName", "")
        with self._lock:
            operation = self._operations.get(name)
            if operation is not None:
                operation.polls += 1
        if operation is None:
            return _error(404, f"operation {name} not found")
        if self.never_finish or operation.polls <= self.polls_before_done:
            return JSONResponse({"name": name, "done": False})
        result: dict[str, Any] = {"name": name, "done": True}
        if operation.outcome == "error":
            result["error"] = {"code": 13, "message": "the fake's video backend failed"}
            return JSONResponse(result)
        response: dict[str, Any] = {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "raiMediaFilteredCount": 0,
        }
        if operation.outcome == "filtered":
            response.update(raiMediaFilteredCount=1, raiMediaFilteredReasons=[FILTER_REASON])
        elif operation.outcome in ("gcs", "link"):
            uri = "gs://fake-bucket/clip.mp4"
            if operation.outcome == "link":
                uri = f"/files/{name.rsplit('/', 1)[-1]}.mp4"
                with self._lock:
                    self._files[uri] = self._clip(operation.parameters)
                uri = self.base_url + uri
            response["videos"] = [{"gcsUri": uri, "mimeType": "video/mp4"}]
        else:
            clip = self._clip(operation.parameters)
            response["videos"] = [{"bytesBase64Encoded": _b64(clip), "mimeType": "video/mp4"}]
        result["response"] = response
        return JSONResponse(result)

    def _clip(self, parameters: dict[str, Any]) -> bytes:
        size = registry.video_size(
            parameters.get("resolution", "720p"), parameters.get("aspectRatio", "16:9")
        )
        seconds = int(parameters.get("durationSeconds", 8))
        return clip_bytes(seconds, *size, bool(parameters.get("generateAudio", True)))

    def _file(self, path: str) -> Response:
        with self._lock:
            data = self._files.get(path)
        if data is None:
            return _error(404, f"no file {path}")
        return Response(data, media_type="video/mp4")
