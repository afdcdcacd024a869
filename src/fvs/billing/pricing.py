"""The one price table in use: what each render stage costs, from the model registry.

Estimates are the most a render can spend; settlement posts what a stage used.
"""

from __future__ import annotations

from fvs.billing.service import CREATION
from fvs.options.resolved import ResolvedRender
from fvs.providers import registry
from fvs.providers.base import MAX_SUBJECTS
from fvs.stages import VOICE_STAGES


def planning_credits(render: ResolvedRender) -> int:
    """What the planner charges for one plan; nothing when the caller wrote the shots."""
    return 0 if render.is_custom else render.runs_on("planner").credits_per_call


def image_credits(render: ResolvedRender, images: int) -> int:
    """What the image model charges for this many images at the render's resolution."""
    price = render.runs_on("image").credits_per_image
    return images * price.get(render.image_resolution, max(price.values()))


def filming_credits(render: ResolvedRender, seconds: int) -> int:
    """What the video model charges for this many seconds at the render's resolution."""
    video = render.runs_on("video")
    resolution = render.video_resolution
    if resolution not in video.resolutions:
        resolution = video.resolutions[-1]
    return video.video_credits(seconds=seconds, resolution=resolution, audio=render.films_sound)


def music_credits(render: ResolvedRender, seconds: float) -> int:
    """What composing a track of this length costs; nothing when the caller sent one."""
    if not render.is_music or render.track_upload is not None:
        return 0
    model = render.runs_on("music")
    return model.credits_per_call * registry.music_calls(model, seconds)


def voice_brief_credits(render: ResolvedRender) -> int:
    """What the speech model charges for one brief."""
    return render.runs_on("tts").credits_per_call


def production_credits(seconds: float) -> int:
    """What joining and checking a final cut of this length costs."""
    return registry.production_credits(seconds)


MUSIC_STAGE = "music"  # the hold for composing a music render's track


def voice_stage(stage: str) -> str:
    """The estimate's key for the voice brief spoken after a stage."""
    return f"voice:{stage}"


def estimate(render: ResolvedRender) -> dict[str, int]:
    """Credits to hold per stage (plus the creation charge) for a resolved render."""
    seconds = sum(render.planned_durations)
    stages: dict[str, int] = {CREATION: registry.PROJECT_CREATION_CREDITS}
    if not render.is_custom:
        stages["planning"] = planning_credits(render)
    composing = music_credits(render, render.scene_target_duration_seconds)
    if composing:
        stages[MUSIC_STAGE] = composing
    stages |= {
        "storyboarding": image_credits(render, render.shot_count + MAX_SUBJECTS),
        "filming": filming_credits(render, seconds),
        "production": production_credits(seconds),
    }
    if render.stage_voice_briefs_enabled:
        for stage in VOICE_STAGES:
            stages[voice_stage(stage)] = voice_brief_credits(render)
    return stages
