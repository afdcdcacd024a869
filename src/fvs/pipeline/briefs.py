"""Voice briefs: a spoken one-to-three sentence summary after each stage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fvs.providers.base import Narrator, NarratorUnavailable, Plan

UNAVAILABLE_NOTE = (
    "voice briefs were requested but no speech engine is installed here "
    "(install espeak-ng: apt-get install espeak-ng); the render went on without them"
)


@dataclass(frozen=True)
class Brief:
    stage: str
    text: str
    key: str | None  # the stored WAV; None when no speech engine could speak it
    size_bytes: int = 0
    note: str | None = None


def brief_text(stage: str, plan: Plan, *, extra: str = "") -> str:
    """What a producer would say after this stage, in at most three sentences."""
    shots, seconds = len(plan.shots), plan.total_seconds
    subjects = ", ".join(s.description for s in plan.bible.subjects) or "the scene"
    if stage == "planning":
        return (
            f"Planning is done: {shots} shots, {seconds} seconds in all, set in "
            f"{plan.bible.setting}. The recurring subject is {subjects}."
        )
    if stage == "storyboarding":
        return f"The storyboard is painted: one keyframe for each of the {shots} shots."
    if stage == "filming":
        return f"Filming is done: {shots} clips, {seconds} seconds of footage."
    return f"The final cut is ready: {seconds} seconds. {extra}".strip()


def speak(narrator: Narrator, stage: str, text: str, *, out_path: Path, key: str) -> Brief:
    """Speak a brief into out_path, to be stored as `key`; a missing engine is a note."""
    try:
        if not narrator.available():
            raise NarratorUnavailable(stage)
        spoken = narrator.speak(text, out_path)
    except NarratorUnavailable:
        return Brief(stage=stage, text=text, key=None, note=UNAVAILABLE_NOTE)
    return Brief(stage=stage, text=text, key=key, size_bytes=spoken.stat().st_size)
