"""The request field tables of the agent API page, generated from the request models.

Types, limits, defaults and required-ness come from the pydantic models' own JSON
schema, so the page cannot drift from what the API validates. A field's description
is its `Field(description=...)` when the model has one, else the note below; a test
fails when a field has neither.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fvs.options.defaults import DEFAULTABLE
from fvs.renders.schemas import AssetRequest, RenderRequest, ShotRequest

NOTES: dict[str, dict[str, str]] = {
    "RenderRequest": {
        "name": "The render's title, shown in the studio and in every status.",
        "project_mode": (
            "`scene` plans shots from the screenplay; `custom` films your own `shots`; "
            "`music` cuts the film on the beats of a soundtrack. See *Modes*."
        ),
        "screenplay": "What happens, shot by shot or as prose. Required in scene mode.",
        "instructions": "Direction for the planner: tone, pacing, what to avoid.",
        "shot_count": "How many shots the planner makes (scene mode).",
        "scene_target_duration_seconds": (
            "The film's target length; shot durations are drawn from the video model's "
            "allowed set and sum to about this."
        ),
        "image_resolution": "Keyframe size: `1K`, `2K` or `4K` (what the image model offers).",
        "video_model": "A video model id from `GET /api/agent/models`.",
        "video_resolution": "`720p` or `1080p`, as the video model allows.",
        "stage_voice_briefs_enabled": "Speak a 1-3 sentence summary after each stage.",
        "wait_for_completion_seconds": (
            "Hold the submit's answer open up to this long (capped by the studio) and "
            "answer 200 with the finished render if it completes in time."
        ),
        "aspect_ratio": "`16:9` (landscape) or `9:16` (portrait).",
        "planner_model": "A planner (text) model id from `GET /api/agent/models`.",
        "image_model": "An image model id from `GET /api/agent/models`.",
        "tts_model": "A voice model id for the voice briefs.",
        "seed": "Fixes the local models' randomness: the same seed paints the same frames.",
        "stage_behaviour": (
            "`run_all` goes straight to the final video; `halt_for_review` stops after "
            "storyboarding until you `POST approve_url`."
        ),
        "visual_style_preset": (
            "The look of every frame; `GET /api/agent/models` lists the presets."
        ),
        "assets": (
            "Describes uploaded file parts by `filename`: a `label` (e.g. a character's "
            "name) and a `purpose`. See *Asset fields*."
        ),
        "shots": "Custom mode: the shots to film, in order. See *Shot fields*.",
        "lyrics": "Music mode: words for a composed track.",
        "music_model": "Music mode: the model that composes the track when none is uploaded.",
        "clip_audio": (
            "Music mode: the clips' own sound under the track: `mute` (default), `duck` or `keep`."
        ),
        "webhook_url": (
            "An https URL that receives this render's events as Standard Webhooks, signed "
            "with the account's render secret (`GET /api/agent/webhooks/render-secret`)."
        ),
        "webhook_events": "Which render events go to `webhook_url`; omitted: all of them.",
        "transition": (
            "How each shot gives way to the next: `cut`, `crossfade`, `dip_to_black` or "
            "`continuous` (filmed to the next keyframe where the model can)."
        ),
        "transition_seconds": "Length of each crossfade or dip, 0.2 to 1.0 s (default 0.5).",
    },
    "AssetRequest": {
        "filename": "The uploaded part's file name this entry describes.",
        "label": "A name for it, e.g. the character it shows.",
        "purpose": "What the file is for.",
    },
    "ShotRequest": {
        "transition": "How this shot gives way to the next; omitted: the render's `transition`.",
        "transition_seconds": "This shot's transition length, 0.2 to 1.0 s.",
        "prompt": "What the shot shows.",
        "duration_seconds": "One of the video model's allowed clip durations (e.g. 4, 6 or 8).",
        "camera": "The camera move; the studio picks one when omitted.",
        "assets": "Filenames of uploaded references this shot uses.",
        "dialogue": "A line spoken in the shot.",
    },
}
# What a status answer's fields mean (RenderStatus), for the page's response table.
NOTES["RenderStatus"] = {
    "project_id": "The render's id; every other route takes it.",
    "name": "The render's title.",
    "status": "`queued`, `running`, `completed`, `failed` or `cancelled`.",
    "current_stage": (
        "`input`, `planning`, `storyboarding`, `filming`, `production`, "
        "`halted_for_review` or `completed`; a failed render keeps the stage it failed in."
    ),
    "is_running": "True while the render is queued or working; false once it stops or halts.",
    "run_id": "The current run while one is going, else null.",
    "final_video_url": "The MP4 once completed: a signed link that expires.",
    "last_error": "Why a render failed, naming the stage and shot; null otherwise.",
    "asset_count": "Files you sent plus the final video, once there is one.",
    "clip_count": "Shots filmed so far.",
    "status_url": "Poll this.",
    "cancel_url": "POST here to cancel.",
    "needs_approval": "True when halted for review: POST `approve_url` to film.",
    "approve_url": "Where to approve a halted render; null otherwise.",
    "progress": "From 0 to 1.",
    "credits_reserved": "Credits held for this render when it was accepted.",
    "credits_settled": "Credits spent so far; the rest returns to the wallet at the end.",
    "stage_providers": "Per stage: which model and provider actually ran it.",
    "notes": "Things the studio decided or ignored, in plain words.",
    "shots": "Each shot: its text, duration, camera move, keyframe and clip links, state.",
    "contact_sheet_url": "A signed link to the storyboard's contact sheet, once painted.",
    "voice_briefs": "Spoken stage summaries, when `stage_voice_briefs_enabled`.",
    "uploads": "The files sent with the request, and how the plan used each.",
    "settings": "The request as resolved: every field the render runs with.",
    "created_at": "ISO 8601, UTC.",
    "updated_at": "ISO 8601, UTC.",
    "music": "Music mode: the track's length, tempo, beats and sections; null otherwise.",
}
FIELD_MODELS: tuple[type[BaseModel], ...] = (RenderRequest, AssetRequest, ShotRequest)


def describe(model: type[BaseModel], name: str) -> str | None:
    """The field's own description, else the page's note for it."""
    own = model.model_fields[name].description
    return own or NOTES.get(model.__name__, {}).get(name)


def type_text(schema: dict[str, Any]) -> str:
    """A JSON schema fragment as a short type: `integer (≥ 1, ≤ 64) or null`, `list of …`."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    text = " or ".join(_one_type(option) for option in options)
    return f"{text} or null" if len(options) < len(schema.get("anyOf", [])) else text


def _one_type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"{schema['$ref'].rsplit('/', 1)[-1]} object"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_one_type(schema.get('items', {}))}{_limits(schema)}"
    return f"{schema.get('type', 'any')}{_limits(schema)}"


def _limits(schema: dict[str, Any]) -> str:
    bounds = [
        ("minimum", "≥ {}"),
        ("maximum", "≤ {}"),
        ("minLength", "≥ {} chars"),
        ("maxLength", "≤ {} chars"),
        ("minItems", "≥ {} items"),
        ("maxItems", "≤ {} items"),
    ]
    found = [text.format(schema[key]) for key, text in bounds if key in schema]
    return f" ({', '.join(found)})" if found else ""


def _default_text(name: str, schema: dict[str, Any], required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in schema or schema["default"] is None:
        # Omitted, these take the defaults saved on the key's account (the settings page).
        return "account default" if name in DEFAULTABLE else "none"
    default = schema["default"]
    return f"`{default!r}`" if default not in ("", []) else "empty"


def response_table(model: type[BaseModel]) -> str:
    """A Markdown table of a response model's fields: name, type, meaning."""
    schema = model.model_json_schema()
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, prop in schema["properties"].items():
        meaning = (describe(model, name) or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {type_text(prop)} | {meaning} |")
    return "\n".join(rows)


def field_table(model: type[BaseModel]) -> str:
    """A Markdown table of the model's fields: name, type and limits, default, meaning."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    rows = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        meaning = (describe(model, name) or "").replace("|", "\\|")
        default = _default_text(name, prop, name in required)
        rows.append(f"| `{name}` | {type_text(prop)} | {default} | {meaning} |")
    return "\n".join(rows)
