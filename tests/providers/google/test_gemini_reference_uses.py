"""Gemini's plans say which reference images the planner was shown, and which it was not."""

from __future__ import annotations

from pathlib import Path

from fvs.providers.google.planner import MAX_REFERENCE_IMAGES, reference_uses


def test_images_past_the_limit_are_reported_unused():
    paths = tuple(Path(f"ref-{n}.png") for n in range(MAX_REFERENCE_IMAGES + 1))
    uses = reference_uses(paths)
    assert [u.index for u in uses] == list(range(MAX_REFERENCE_IMAGES + 1))
    shown = {u.used_as for u in uses[:MAX_REFERENCE_IMAGES]}
    assert shown == {"subject reference shown to the planner"}
    assert uses[-1].used_as is None and str(MAX_REFERENCE_IMAGES) in uses[-1].why
