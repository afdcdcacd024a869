"""Which shots are filmed from their subjects' reference images instead of a keyframe.

The planner proposes (`ShotPlan.filmed_from`); this module keeps a proposal only where
the video model can film the shot that way (Veo 3.1: 8 s, 16:9, up to 3 images) and
one of the shot's subjects has a reference worth filming from. The settled plan is
stored, so the status reports how each shot was filmed and a resumed render films it
the same way.

A subject reference is worth filming from when the caller uploaded it (a
`character_reference`), or when a hosted image model painted it. The local painter's
keyframe already is its painted sprite, pixel for pixel, so filming from that sprite
would only give up the keyframe's composition.
"""

from __future__ import annotations

from collections.abc import Mapping

from fvs.options.resolved import ResolvedRender
from fvs.pipeline import requested_assets
from fvs.providers import registry
from fvs.providers.base import Plan, ShotPlan

REFERENCES = "references"
KEYFRAME = "keyframe"


def _painted_count(render: ResolvedRender) -> bool:
    """True when the image model's painted subject references are worth filming from."""
    return render.runs_on("image").provider != "local"


def _video_models(render: ResolvedRender) -> tuple[registry.ModelInfo, ...]:
    """The video model asked for and the one that runs it: a local stand-in films from
    references only where the model it stands in for would (never for Veo 3.0)."""
    asked = registry.find(render.executions.of("video").model)
    running = render.runs_on("video")
    return (running,) if asked is None or asked.id == running.id else (asked, running)


def reference_seconds(
    render: ResolvedRender, described: list[requested_assets.DescribedUpload]
) -> int | None:
    """The clip length the planner is told a shot filmed from references must have; None
    when no shot of this render can be filmed that way."""
    lengths = {m.reference_seconds(render.aspect_ratio) for m in _video_models(render)}
    seconds = lengths.pop() if len(lengths) == 1 else None
    has_reference = bool(requested_assets.characters(described)) or _painted_count(render)
    return seconds if has_reference and not render.is_custom else None


def _referenced(plan: Plan, render: ResolvedRender) -> set[str]:
    """The subjects whose reference is worth filming from."""
    painted = _painted_count(render)
    return {s.key for s in plan.bible.subjects if s.reference or painted}


def _unfit(shot: ShotPlan, render: ResolvedRender) -> str | None:
    """Why the video model cannot film this shot from references, or None when it can."""
    for model in _video_models(render):
        if not model.takes_references(
            seconds=shot.duration_seconds, aspect_ratio=render.aspect_ratio
        ):
            return _refusal(model, shot, render)
    return None


def _refusal(model: registry.ModelInfo, shot: ShotPlan, render: ResolvedRender) -> str:
    if model.max_reference_images == 0:
        return f"{model.id} films nothing from reference images"
    lengths = "/".join(str(d) for d in model.reference_durations)
    shapes = "/".join(model.reference_aspect_ratios)
    return (
        f"{model.id} films only {lengths} s {shapes} clips from references, "
        f"not {shot.duration_seconds} s {render.aspect_ratio}"
    )


def settle(plan: Plan, render: ResolvedRender) -> Plan:
    """The plan with each shot's filmed_from kept where it can be honoured, else keyframe;
    a note says why wherever a planner's choice of references was undone by the model."""
    referenced = _referenced(plan, render)
    shots, notes = [], list(plan.notes)
    for shot in plan.shots:
        source = shot.filmed_from if shot.filmed_from == REFERENCES else KEYFRAME
        if source == REFERENCES:
            why = _unfit(shot, render)
            if why is not None:
                notes.append(f"shot {shot.index + 1} is filmed from its keyframe: {why}")
            if why is not None or not referenced.intersection(shot.subject_keys):
                source = KEYFRAME
        shots.append(shot.model_copy(update={"filmed_from": source}))
    return plan.model_copy(update={"shots": tuple(shots), "notes": tuple(notes)})


def for_custom(plan: Plan, render: ResolvedRender) -> Plan:
    """A custom render's choice, made for the caller: a shot that names a character
    reference among its assets is filmed from it wherever the video model allows."""
    shots = tuple(
        shot.model_copy(update={"filmed_from": REFERENCES if shot.subject_keys else KEYFRAME})
        for shot in plan.shots
    )
    settled = settle(plan.model_copy(update={"shots": shots}), render)
    # The caller chose each shot's length, not references: no note when one does not fit.
    return settled.model_copy(update={"notes": plan.notes})


def reference_images(
    plan: Plan, shot: ShotPlan, subject_images: Mapping[str, str], render: ResolvedRender
) -> tuple[str, ...]:
    """The storage keys of the images a references shot is filmed from: its subjects'
    stored references (uploaded ones first), no more than the video models take."""
    most = min(m.max_reference_images for m in _video_models(render))
    uploaded = {s.key for s in plan.bible.subjects if s.reference}
    keys = sorted(
        (k for k in shot.subject_keys if k in subject_images),
        key=lambda k: k not in uploaded,
    )
    return tuple(subject_images[k] for k in keys)[:most]
