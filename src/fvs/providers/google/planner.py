"""Gemini as the shot planner: structured JSON out, then checked and repaired before use.

The model is asked for JSON that matches a schema, but nothing it returns is
trusted: a wrong shot count or unreadable JSON is asked for again, durations the
video model cannot film are replaced by the studio's own duration rule, and
camera moves, subject keys and palettes are normalised.
"""

from __future__ import annotations

import colorsys
import hashlib
import logging
import mimetypes
import re
from pathlib import Path
from typing import Annotated, Literal

from google.genai import types
from pydantic import BaseModel, Field, ValidationError, create_model, field_validator

from fvs.providers.base import (
    CAMERA_MOVES,
    MAX_SUBJECTS,
    ContinuityBible,
    Plan,
    PlanRequest,
    ReferenceUse,
    ShotPlan,
    Subject,
)
from fvs.providers.durations import closest_total, plan_durations
from fvs.providers.google.client import (
    GoogleModel,
    GoogleProviderError,
)
from fvs.providers.styles import describe

log = logging.getLogger(__name__)

ATTEMPTS = 3  # the first call and two more
MAX_REFERENCE_IMAGES = 4
HEX = re.compile(r"^#[0-9a-f]{6}$")
CameraMove = Literal[
    "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "static"
]

FilmedFrom = Literal["keyframe", "references"]


class PlanningFailed(GoogleProviderError):
    """The planner model gave no usable plan after every attempt."""


class _Unusable(Exception):
    pass


class SubjectSchema(BaseModel):
    key: str
    description: str
    palette: list[str]


class BibleSchema(BaseModel):
    subjects: list[SubjectSchema]
    setting: str
    palette: list[str]
    style: str
    text_overlays_allowed: bool


class ShotSchema(BaseModel):
    text: str
    image_prompt: str
    video_prompt: str
    camera_move: CameraMove
    duration_seconds: int
    subject_keys: list[str]
    # "references": filmed from its subjects' reference images instead of its keyframe.
    filmed_from: FilmedFrom = "keyframe"

    @field_validator("filmed_from", mode="before")
    @classmethod
    def _known_source(cls, value: object) -> str:
        # Anything the model invents is filmed the safe way, from the keyframe.
        return "references" if str(value).strip().lower() == "references" else "keyframe"

    # How the shot gives way to the next, from the prompt's TRANSITIONS; None: the render's.
    transition: str | None = None

    @field_validator("transition", mode="before")
    @classmethod
    def _plain_transition(cls, value: object) -> str | None:
        # "Dip to black" and "crossfade" both read as the studio's words.
        return None if value is None else re.sub(r"[\s-]+", "_", str(value).strip().lower())

    @field_validator("camera_move", mode="before")
    @classmethod
    def _known_move(cls, value: object) -> str:
        # Models paraphrase ("Push in", "dolly-zoom"); anything unknown becomes a push-in.
        move = re.sub(r"[\s-]+", "_", str(value).strip().lower())
        return move if move in CAMERA_MOVES else "push_in"


class PlanSchema(BaseModel):
    shots: list[ShotSchema]
    bible: BibleSchema


def plan_schema(shot_count: int) -> type[PlanSchema]:
    """The answer's schema with exactly shot_count shots (minItems = maxItems)."""
    shots = Annotated[list[ShotSchema], Field(min_length=shot_count, max_length=shot_count)]
    return create_model("PlanSchema", __base__=PlanSchema, shots=(shots, ...))


def slugify(text: str) -> str:
    """Lowercase words joined by hyphens, e.g. "Young Woman!" -> "young-woman"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def fallback_palette(text: str) -> tuple[str, ...]:
    """Three colours (main, dark, light) that depend only on the text."""
    hue = hashlib.sha256(text.encode("utf-8")).digest()[0] / 255
    colours = []
    for shift, sat, val in ((0.0, 0.55, 0.78), (0.08, 0.5, 0.3), (0.5, 0.25, 0.92)):
        r, g, b = colorsys.hsv_to_rgb((hue + shift) % 1.0, sat, val)
        colours.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return tuple(colours)


def _clean_palette(colours: list[str], seed_text: str) -> tuple[str, ...]:
    kept = tuple(dict.fromkeys(c.strip().lower() for c in colours if HEX.match(c.strip().lower())))
    return kept or fallback_palette(seed_text)


def build_prompt(request: PlanRequest) -> str:
    """The planning prompt; the KEY=value markers keep the hard numbers unambiguous."""
    allowed = sorted(set(request.allowed_durations))
    total = closest_total(request.shot_count, request.target_seconds, allowed)
    if request.shot_durations:
        fixed = ",".join(str(d) for d in request.shot_durations)
        durations = [
            f"SHOT_DURATIONS={fixed}",
            f"Return exactly {request.shot_count} shots; shot n's duration_seconds must be the "
            "n-th of SHOT_DURATIONS (the cuts follow the music's beats).",
        ]
    else:
        durations = [
            f"Return exactly {request.shot_count} shots. Each duration_seconds must be one of "
            f"{allowed} and together they must total {total} seconds.",
        ]
    return "\n".join([
        "You are the director's assistant planning a short film shot by shot.",
        f"SHOT_COUNT={request.shot_count}",
        f"TARGET_SECONDS={request.target_seconds:g}",
        f"ALLOWED_DURATIONS={','.join(str(d) for d in allowed)}",
        f"TOTAL_SECONDS={total}",
        *durations,
        f"camera_move is one of: {', '.join(CAMERA_MOVES)}.",
        *_filming_lines(request),
        *_transition_lines(request),
        f"List at most {MAX_SUBJECTS} recurring subjects in the bible, each with a short "
        "slug key, a visual description and hex colours; shots name them in subject_keys.",
        "image_prompt describes the shot's first frame; video_prompt describes its motion.",
        "Only allow text overlays when the instructions ask for on-screen text.",
        f"VISUAL_STYLE={request.style_preset}: every image_prompt, video_prompt and the bible's "
        f"style must describe this look: {describe(request.style_preset)}.",
        "",
        f"INSTRUCTIONS:\n{request.instructions.strip() or '(none)'}",
        "",
        f"SCREENPLAY:\n{request.screenplay.strip()}",
    ])  # fmt: skip


def _transition_lines(request: PlanRequest) -> list[str]:
    """What the prompt says of transitions: the choice per cut, where there is one."""
    choices = request.transition_choices
    if len(choices) < 2:
        return [f"TRANSITION={request.transition}: set every shot's transition to it."]
    return [
        f"TRANSITIONS={','.join(choices)}",
        "transition is how a shot gives way to the next, one of TRANSITIONS: dip_to_black "
        "before a jump in time or place, crossfade between moments that flow on.",
    ]


def _filming_lines(request: PlanRequest) -> list[str]:
    """How the prompt asks for each shot's filmed_from, within the video model's limits."""
    seconds = request.reference_seconds
    if seconds is None:
        return ['filmed_from is "keyframe" for every shot.']
    return [
        f"REFERENCE_SECONDS={seconds}",
        'filmed_from is "keyframe" (the clip starts from the shot\'s painted first frame) or '
        '"references" (the clip is filmed from its subjects\' reference images, which keeps '
        "a recurring subject identical from shot to shot but gives up the composed first "
        f'frame). Choose "references" only for a shot that shows a bible subject and lasts '
        f"exactly {seconds} seconds; prefer it where the subject's identity matters most.",
    ]


def _filmed_from(raw: ShotSchema, seconds: int, keys: tuple[str, ...], request: PlanRequest) -> str:
    """The answer's choice, where the video model can film the shot that way; else keyframe."""
    fits = request.reference_seconds is not None and seconds == request.reference_seconds
    return "references" if raw.filmed_from == "references" and fits and keys else "keyframe"


def _reference_parts(paths: tuple[Path, ...]) -> list[types.Part]:
    parts = []
    for path in paths[:MAX_REFERENCE_IMAGES]:
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        parts.append(types.Part.from_text(text=f"Reference image of a subject: {path.name}"))
        parts.append(types.Part.from_bytes(data=path.read_bytes(), mime_type=mime))
    return parts


def reference_uses(paths: tuple[Path, ...]) -> tuple[ReferenceUse, ...]:
    """The images the model was shown, and those past MAX_REFERENCE_IMAGES it was not."""
    return tuple(
        ReferenceUse(index=i, used_as="subject reference shown to the planner")
        if i < MAX_REFERENCE_IMAGES
        else ReferenceUse(
            index=i,
            used_as=None,
            why=f"the planner is shown at most {MAX_REFERENCE_IMAGES} reference images",
        )
        for i in range(len(paths))
    )


def unfit_durations(shots: list[ShotSchema], request: PlanRequest) -> str | None:
    """Why the answer's durations cannot be filmed to the target, or None when they can."""
    allowed = sorted(set(request.allowed_durations))
    asked = [s.duration_seconds for s in shots]
    if request.shot_durations:
        fixed = list(request.shot_durations)
        return None if asked == fixed else f"durations {asked} are not the beat grid's {fixed}"
    total = closest_total(request.shot_count, request.target_seconds, allowed)
    if any(d not in allowed for d in asked):
        return f"durations {asked} are not all among the video model's {allowed}"
    if sum(asked) != total:
        return f"durations {asked} total {sum(asked)} s, not the filmable {total} s"
    return None


def _repair_durations(shots: list[ShotSchema], request: PlanRequest) -> list[int]:
    """The model's durations when valid, else the duration rule's, longest where it had longest."""
    asked = [s.duration_seconds for s in shots]
    if unfit_durations(shots, request) is None:
        return asked
    log.warning("planner durations %s are not filmable; repaired", asked)
    if request.shot_durations:
        return list(request.shot_durations)
    allowed = sorted(set(request.allowed_durations))
    repaired = plan_durations(request.shot_count, request.target_seconds, allowed)
    # Keep the model's sense of which shots deserve more time.
    order = sorted(range(len(shots)), key=lambda i: -asked[i])
    durations = [0] * len(shots)
    for index, seconds in zip(order, repaired, strict=True):
        durations[index] = seconds
    return durations


def _subjects(bible: BibleSchema) -> tuple[tuple[Subject, ...], dict[str, str]]:
    """Subjects with unique slug keys, and a map from what the model called them to the slug."""
    subjects: list[Subject] = []
    renamed: dict[str, str] = {}
    for order, raw in enumerate(bible.subjects[:MAX_SUBJECTS]):
        base = slugify(raw.key) or slugify(raw.description) or f"subject-{order + 1}"
        key, n = base, 2
        while any(s.key == key for s in subjects):
            key, n = f"{base}-{n}", n + 1
        palette = _clean_palette(raw.palette, key)
        subjects.append(Subject(key=key, description=raw.description.strip(), palette=palette))
        renamed[raw.key] = renamed[slugify(raw.key)] = key
    return tuple(subjects), renamed


def to_plan(parsed: PlanSchema, request: PlanRequest, notes: tuple[str, ...] = ()) -> Plan:
    """A studio Plan from a parsed answer of the right length, repaired where needed."""
    subjects, renamed = _subjects(parsed.bible)
    bible = ContinuityBible(
        subjects=subjects,
        setting=parsed.bible.setting.strip() or "an evocative location",
        palette=_clean_palette(parsed.bible.palette, request.screenplay),
        style=parsed.bible.style.strip() or "cinematic, natural lighting",
        text_overlays_allowed=parsed.bible.text_overlays_allowed,
    )
    durations = _repair_durations(parsed.shots, request)
    shots = []
    for index, (raw, seconds) in enumerate(zip(parsed.shots, durations, strict=True)):
        found = (renamed.get(k) or renamed.get(slugify(k)) for k in raw.subject_keys)
        keys = tuple(dict.fromkeys(k for k in found if k))
        text = raw.text.strip()
        shots.append(ShotPlan(
            index=index,
            text=text,
            image_prompt=raw.image_prompt.strip() or text,
            video_prompt=raw.video_prompt.strip() or text,
            camera_move=raw.camera_move,
            duration_seconds=seconds,
            subject_keys=keys,
            transition=_transition(raw, request),
            transition_seconds=request.transition_seconds,
            filmed_from=_filmed_from(raw, seconds, keys, request),
        ))  # fmt: skip
    uses = reference_uses(tuple(request.reference_images))
    return Plan(shots=tuple(shots), bible=bible, reference_uses=uses, notes=notes)


def _transition(raw: ShotSchema, request: PlanRequest) -> str:
    """The model's transition when it is one of the render's choices, else the render's."""
    chosen = raw.transition or ""
    return chosen if chosen in request.transition_choices else request.transition


class GeminiPlanner(GoogleModel):
    """Plans shots with a Gemini text model, within the video model's durations."""

    def plan(self, request: PlanRequest) -> Plan:
        """Shot list and continuity bible for the request, or PlanningFailed."""
        parts = [
            types.Part.from_text(text=build_prompt(request)),
            *_reference_parts(tuple(request.reference_images)),
        ]
        contents = types.Content(role="user", parts=parts)
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=plan_schema(request.shot_count),
            temperature=0.7,
        )
        problems: list[str] = []
        unfit: PlanSchema | None = None
        for attempt in range(1, ATTEMPTS + 1):
            response = self.call(
                lambda: self.client.models.generate_content(
                    model=self.model_id, contents=contents, config=config
                ),
            )
            try:
                parsed = self._parse(response, request.shot_count)
            except _Unusable as exc:
                problems.append(str(exc))
                continue
            why = unfit_durations(parsed.shots, request)
            if why is None:
                return to_plan(parsed, request, self._notes(problems))
            # A plan the video model cannot film is asked for again, and kept as a last resort.
            problems.append(f"attempt {attempt} rejected: {why}")
            unfit = parsed
        if unfit is not None:
            notes = [*problems, "the last plan's durations were fitted by the studio's rule"]
            return to_plan(unfit, request, self._notes(notes))
        raise PlanningFailed(
            f"{self.model_id} gave no usable plan in {ATTEMPTS} attempts: " + "; ".join(problems)
        )

    def _notes(self, problems: list[str]) -> tuple[str, ...]:
        return tuple(f"planner {self.model_id}: {p}" for p in problems)

    def _parse(self, response: types.GenerateContentResponse, shot_count: int) -> PlanSchema:
        text = response.text
        if not text:
            reason = response.candidates[0].finish_reason if response.candidates else None
            raise _Unusable(f"empty answer (finish reason {reason})")
        try:
            parsed = PlanSchema.model_validate_json(text)
        except ValidationError as exc:
            raise _Unusable(f"answer is not a valid plan: {exc.errors()[0]['msg']}") from exc
        if len(parsed.shots) != shot_count:
            raise _Unusable(f"{len(parsed.shots)} shots instead of {shot_count}")
        return parsed
