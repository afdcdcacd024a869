"""The new-project form's fields turned into the agent API's request and uploads.

Shot rows (prompt + duration) and asset rows (file + label + purpose) repeat under one
name each; rows left blank are dropped and the rest keep their order, so the API's
`shots[i]` and `assets[i]` name the i-th filled row, which is how the form shows them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, TypeGuard, get_args

from starlette.datastructures import FormData, UploadFile

from fvs.config import Settings
from fvs.errors import ValidationFailed
from fvs.renders.schemas import AssetPurpose, ProjectMode
from fvs.renders.uploads import Upload, read_upload

ASSET_PART = "files"
AUDIO_PART = "audio"
MODES = get_args(ProjectMode)
MODE_LABELS = {
    "scene": "Scene: plan the shots from a screenplay",
    "custom": "Custom: film the shot list below",
    "music": "Music: cut to a track's beats",
}
PURPOSES = get_args(AssetPurpose)
CHOICE_FIELDS = (
    "video_model",
    "video_resolution",
    "aspect_ratio",
    "image_model",
    "image_resolution",
    "planner_model",
    "tts_model",
    "stage_behaviour",
    "visual_style_preset",
)
NUMBER_FIELDS: dict[str, type[int] | type[float]] = {
    "shot_count": int,
    "scene_target_duration_seconds": float,
    "seed": int,
}


@dataclass(frozen=True)
class Rows:
    """The filled shot and asset rows as posted, for the request and for showing them again."""

    shots: list[dict[str, str]]
    assets: list[dict[str, Any]]  # label, purpose, and the chosen file (or None)


def posted_rows(form: FormData) -> Rows:
    """The form's filled shot rows and asset rows, in order."""
    shots = [
        {"prompt": str(p or "").strip(), "duration": str(d or "").strip()}
        for p, d in zip_longest(form.getlist("shot_prompt"), form.getlist("shot_duration"))
    ]
    assets = [
        {"file": f if is_chosen(f) else None, "label": str(lb or "").strip(), "purpose": pp or ""}
        for f, lb, pp in zip_longest(
            form.getlist(ASSET_PART), form.getlist("asset_label"), form.getlist("asset_purpose")
        )
    ]
    return Rows(
        shots=[s for s in shots if s["prompt"] or s["duration"]],
        assets=[a for a in assets if a["file"] or a["label"] or a["purpose"]],
    )


def request_json(values: dict[str, str], rows: Rows) -> dict[str, Any]:
    """The form's fields as the agent API's request_json; blank optional fields are left out."""
    raw: dict[str, Any] = {
        "screenplay": values.get("screenplay", ""),
        "instructions": values.get("instructions", ""),
        "stage_voice_briefs_enabled": values.get("stage_voice_briefs_enabled") == "on",
    }
    if values.get("name", "").strip():
        raw["name"] = values["name"]
    raw.update({f: values[f] for f in (*CHOICE_FIELDS, "project_mode") if values.get(f)})
    raw.update(_numbers(values))
    # Shot rows are only the custom mode's; in scene mode the planner writes the shots.
    if values.get("project_mode") == "custom" and rows.shots:
        raw["shots"] = [_shot(i, row) for i, row in enumerate(rows.shots)]
    if rows.assets:
        raw["assets"] = [_asset(i, row) for i, row in enumerate(rows.assets)]
    return raw


def _numbers(values: dict[str, str]) -> dict[str, int | float]:
    numbers: dict[str, int | float] = {}
    for field, kind in NUMBER_FIELDS.items():
        text = values.get(field, "").strip()
        if text:
            try:
                numbers[field] = kind(text)
            except ValueError:
                noun = "a whole number" if kind is int else "a number"
                raise ValidationFailed(field, f"enter {noun}, or leave it blank") from None
    return numbers


def _shot(index: int, row: dict[str, str]) -> dict[str, Any]:
    if not row["prompt"]:
        raise ValidationFailed(f"shots[{index}].prompt", "say what this shot shows")
    try:
        seconds = int(row["duration"])
    except ValueError:
        raise ValidationFailed(
            f"shots[{index}].duration_seconds", "enter the shot's length in whole seconds"
        ) from None
    return {"prompt": row["prompt"], "duration_seconds": seconds}


def _asset(index: int, row: dict[str, Any]) -> dict[str, Any]:
    if row["file"] is None:
        raise ValidationFailed(f"assets[{index}].filename", "choose the file this row describes")
    asset: dict[str, Any] = {"filename": row["file"].filename}
    if row["label"]:
        asset["label"] = row["label"]
    if row["purpose"]:
        asset["purpose"] = row["purpose"]
    return asset


async def read_uploads(form: FormData, rows: Rows, limits: Settings) -> list[Upload]:
    """The chosen track and asset files, read and checked."""
    parts: list[tuple[str, UploadFile]] = [
        (AUDIO_PART, f) for f in form.getlist(AUDIO_PART) if is_chosen(f)
    ]
    parts += [(ASSET_PART, row["file"]) for row in rows.assets if row["file"] is not None]
    if len(parts) > limits.max_uploads:
        raise ValidationFailed(ASSET_PART, f"attach at most {limits.max_uploads} files")
    return [await read_upload(part, f, limit=limits.max_upload_bytes) for part, f in parts]


def is_chosen(part: object) -> TypeGuard[UploadFile]:
    """Whether a file part holds a chosen file: an empty file input still sends a nameless part."""
    return isinstance(part, UploadFile) and bool(part.filename or part.size)


def on_form(field: str | None) -> bool:
    """Whether the form shows a field's error beside its input."""
    if field is None:
        return False
    return field in _FORM_FIELDS or field.startswith(("shots[", "assets["))


_FORM_FIELDS = {
    "name",
    "screenplay",
    "instructions",
    "stage_voice_briefs_enabled",
    "project_mode",
    "shots",
    "assets",
    ASSET_PART,
    AUDIO_PART,
    *CHOICE_FIELDS,
    *NUMBER_FIELDS,
}
