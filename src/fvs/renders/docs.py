"""What /openapi.json says about the agent API: its overview, the submit body and examples.

The examples are real answers of this studio (signatures shortened); tests check that
each one still validates against its response model.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

OVERVIEW = """\
The agent API of Future Video Studio: submit a screenplay, poll its status, fetch the video.

**Authentication.** Every `/api/agent` route needs a managed key in the
`X-FVS-Agent-Key` header (create one on the studio's /settings page). A missing,
malformed, unknown, revoked or expired key gets 401. Renders and credits belong to the
key's account; another account's render is 404.

**Submitting.** `POST /api/agent/renders` takes `multipart/form-data` with the request
JSON in the text field `request_json` (plus optional file parts), or the same JSON as an
`application/json` body. It answers 202 with the render's status (200 when it completed
within `wait_for_completion_seconds`). In Python:
`requests.post(url, headers={"X-FVS-Agent-Key": key},
files={"request_json": (None, json.dumps(body))})`.

**Modes.** `project_mode` `scene` (the default) plans `shot_count` shots (1–64) from
the screenplay toward `scene_target_duration_seconds` (4–600); `custom` films the
request's own `shots` with no planner call and no planning charge; `music` cuts the
film on the beats of the `audio` part (or a `soundtrack` asset), or of a track the studio
composes, and the film lasts as long as the track. `visual_style_preset` picks the look
(see `GET /api/agent/models`).
Describe uploaded files in `assets` (`filename`, `label`, `purpose`).

**Polling.** `GET` the answer's `status_url` until `status` is `completed`, `failed` or
`cancelled`, or `needs_approval` is true (a storyboard halted for review waits for
`POST approve_url`). `final_video_url` is a signed, expiring link. Lost a `project_id`?
`GET /api/agent/renders` lists the account's renders, newest first.

**Errors** all have one shape, `{"error": {"code", "message", "field", "details"?}}`:
`code` is stable, `field` names the request field, header or part at fault.
"""

BASE = "https://studio.example"
PROJECT = "proj_api_33e9410819a7fdc1"
STATUS_URL = f"{BASE}/api/agent/renders/{PROJECT}"
SIGNED = "?exp=1795932000&kid=k1&sig=7db036a47406065bcd2e0c11512e950f"

# The seed document's reference request, as `fvs render` sends it.
RENDER_REQUEST_EXAMPLE: dict[str, Any] = json.loads(
    resources.files("fvs").joinpath("reference_request.json").read_text()
)


def _execution(model: str, runs_on: str | None = None) -> dict[str, Any]:
    return {"model": model, "runs_on": runs_on or model, "provider": "local", "standin": False}


_VIDEO = {**_execution("veo-3.1-fast-generate-001", "local-animatic"), "standin": True}
SETTINGS_EXAMPLE: dict[str, Any] = {
    "project_mode": "scene",
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    "image_resolution": "1K",
    "aspect_ratio": "16:9",
    "stage_voice_briefs_enabled": False,
    "planner_model": "local-planner",
    "image_model": "local-painter",
    "tts_model": "local-espeak",
    "music_model": "local-composer",
    "stage_behaviour": "run_all",
    "visual_style_preset": "realistic_cinematic",
    "name": "Archive corridor test",
    "shot_count": 3,
    "scene_target_duration_seconds": 24.0,
    "planned_durations": [8, 8, 8],
    "executions": {
        "planner": _execution("local-planner"),
        "image": _execution("local-painter"),
        "video": _VIDEO,
        "tts": _execution("local-espeak"),
        "music": _execution("local-composer"),
    },
}

QUEUED_EXAMPLE: dict[str, Any] = {
    "project_id": PROJECT,
    "name": "Archive corridor test",
    "status": "queued",
    "current_stage": "input",
    "is_running": True,
    "run_id": "run_18e04854cb04dd2d",
    "final_video_url": None,
    "last_error": None,
    "asset_count": 0,
    "clip_count": 0,
    "status_url": STATUS_URL,
    "cancel_url": f"{STATUS_URL}/cancel",
    "needs_approval": False,
    "approve_url": None,
    "progress": 0.0,
    "credits_reserved": 40,
    "credits_settled": 5,
    "stage_providers": {},
    "notes": [],
    "shots": [],
    "contact_sheet_url": None,
    "voice_briefs": [],
    "uploads": [],
    "settings": SETTINGS_EXAMPLE,
    "created_at": "2026-11-28T05:27:20.256334+00:00",
    "updated_at": "2026-11-28T05:27:20.256338+00:00",
    "music": None,
}


def _media(path: str) -> str:
    return f"{BASE}/media/projects/{PROJECT}/{path}{SIGNED}"


def _shot(number: int, text: str, camera_move: str, last: bool = False) -> dict[str, Any]:
    return {
        "number": number,
        "index": number - 1,
        "text": text,
        "duration_seconds": 8,
        "camera_move": camera_move,
        "keyframe_url": _media(f"keyframes/shot-0{number}.png"),
        "clip_url": _media(f"clips/shot-0{number}.mp4"),
        "state": "filmed",
        "notes": [],
        "start_seconds": None,
        "end_seconds": None,
        "transition": None if last else "cut",
        "transition_seconds": None if last else 0.5,
        "filmed_from": "keyframe",
    }


COMPLETED_EXAMPLE: dict[str, Any] = {
    **QUEUED_EXAMPLE,
    "status": "completed",
    "current_stage": "completed",
    "is_running": False,
    "run_id": None,
    "final_video_url": _media("final.mp4"),
    "asset_count": 1,
    "clip_count": 3,
    "progress": 1.0,
    "credits_settled": 37,
    "stage_providers": {
        "planning": _execution("local-planner"),
        "storyboarding": _execution("local-painter"),
        "filming": _VIDEO,
        "production": {"provider": "local", "runs_on": "ffmpeg", "stream_copied": True},
    },
    "shots": [
        _shot(1, "A young woman enters a glowing archive corridor.", "push_in"),
        _shot(2, "She reaches toward one moving photograph.", "pan_left"),
        _shot(3, "She steps through the tunnel into a sunlit memory chamber.", "pull_out", True),
    ],
    "contact_sheet_url": _media("contact-sheet.jpg"),
    "updated_at": "2026-11-28T05:27:28.437549+00:00",
}

_KEYFRAMED = [
    shot | {"clip_url": None, "state": "keyframed"} for shot in COMPLETED_EXAMPLE["shots"]
]
HALTED_EXAMPLE: dict[str, Any] = QUEUED_EXAMPLE | {
    "status": "running",
    "current_stage": "halted_for_review",
    "is_running": False,
    "needs_approval": True,
    "approve_url": f"{STATUS_URL}/approve",
    "progress": 0.2,
    "credits_settled": 13,
    "stage_providers": {
        "planning": _execution("local-planner"),
        "storyboarding": _execution("local-painter"),
    },
    "shots": _KEYFRAMED,
    "contact_sheet_url": _media("contact-sheet.jpg"),
    "settings": SETTINGS_EXAMPLE | {"stage_behaviour": "halt_for_review"},
    "updated_at": "2026-11-28T05:27:24.113502+00:00",
}
APPROVED_EXAMPLE: dict[str, Any] = HALTED_EXAMPLE | {
    "current_stage": "filming",
    "is_running": True,
    "needs_approval": False,
    "approve_url": None,
}

ESTIMATE_EXAMPLE: dict[str, Any] = {
    "settings": SETTINGS_EXAMPLE,
    "planned_durations": [8, 8, 8],
    "credits_estimated": 40,
    "credits_breakdown": {
        "creation": 5,
        "planning": 1,
        "storyboarding": 7,
        "filming": 24,
        "production": 3,
    },
    "available_credits": 1000,
    "affordable": True,
}

PAGE_EXAMPLE: dict[str, Any] = {
    "renders": [
        {
            key: COMPLETED_EXAMPLE[key]
            for key in (
                "project_id",
                "name",
                "status",
                "current_stage",
                "is_running",
                "needs_approval",
                "progress",
                "clip_count",
                "credits_reserved",
                "credits_settled",
                "created_at",
                "updated_at",
                "status_url",
            )
        }
        | {"shot_count": 3}
    ],
    "next_cursor": "MjAyNi0xMS0yOFQwNToyNzoyMC4yNTYzMzQrMDA6MDB8cHJval8zM2U5NDEwODE5YTdmZGMx",
}


def _binary(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


def render_request_body() -> dict[str, Any]:
    """The submit and estimate body (FastAPI `openapi_extra`): multipart, or plain JSON."""
    request = {"$ref": "#/components/schemas/RenderRequest"}
    multipart = {
        "type": "object",
        "required": ["request_json"],
        "properties": {
            "request_json": {
                "type": "string",
                "description": "The RenderRequest as a JSON text field.",
                "contentMediaType": "application/json",
                "contentSchema": request,
                "example": json.dumps(RENDER_REQUEST_EXAMPLE),
            },
            "reference_image": _binary("PNG, JPEG or WebP; its colours dress the subject."),
            "audio": _binary("WAV, MP3, OGG, FLAC or M4A."),
            "script": _binary("UTF-8 text."),
            "files": _binary(
                "Any file, repeated: hosted clients send every file as `files`, described "
                "by request_json.assets ({filename, label, purpose})."
            ),
        },
        # Any other file part is kept as a reference asset under its part name.
        "additionalProperties": _binary("Any other reference file, kept under its part name."),
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": multipart},
                "application/json": {"schema": request, "example": RENDER_REQUEST_EXAMPLE},
            },
        }
    }


def submit_operation() -> dict[str, Any]:
    """The submit's extras: its body and the Idempotency-Key header."""
    idempotency_key = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": (
            "Anything unique to this submit. Repeated with the same body within 24 h, it "
            "replays the first answer instead of making a second render."
        ),
    }
    return render_request_body() | {"parameters": [idempotency_key]}


def example(body: dict[str, Any], description: str) -> dict[str, Any]:
    """One OpenAPI response with an example body (the model comes from the route)."""
    return {"description": description, "content": {"application/json": {"example": body}}}
