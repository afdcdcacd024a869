"""Each step's Celery queue: `provider` when a Google model does its work, else `media`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fvs.models import Job, Project
from fvs.pipeline import state
from fvs.stages import Step
from tests.conftest import SMALL_RENDER
from tests.factories import account_with_renders

ON_GOOGLE = {
    **SMALL_RENDER,
    "video_model": "veo-3.1-fast-generate-001",
    "video_resolution": "720p",
    "scene_target_duration_seconds": 8,
    "planner_model": "gemini-2.5-flash",
    "image_model": "gemini-3-pro-image-preview",
}


def queues_of(studio, request) -> tuple[str, dict[str, str]]:
    """The plan job's queue as submitted, and the queue of every step of that render."""
    _, (project,) = account_with_renders(studio, request=request)
    with studio.db.read() as session:
        [plan] = session.scalars(select(Job).where(Job.project_id == project.id))
        render = state.settings_of(session.get(Project, project.id))
    return plan.queue, {step: state.queue_for(step, render) for step in Step}


@pytest.mark.settings(google_api_key="test-express-key")
def test_steps_on_google_models_go_to_the_provider_queue_and_production_to_media(studio):
    plan, queues = queues_of(studio, ON_GOOGLE)
    assert plan == "provider"
    assert queues == {
        "plan": "provider",
        "references": "provider",
        "keyframe": "provider",
        "repaint": "provider",
        "film": "provider",
        "produce": "media",
    }


def test_local_models_and_stand_ins_for_google_ones_go_to_the_media_queue(studio):
    # Without Google credentials the Veo and Gemini ids run on the local stand-ins.
    for request in (SMALL_RENDER, ON_GOOGLE):
        plan, queues = queues_of(studio, request)
        assert plan == "media" and set(queues.values()) == {"media"}


@pytest.mark.settings(google_api_key="test-express-key")
def test_planning_that_composes_on_lyria_goes_to_the_provider_queue(studio):
    music = {
        **SMALL_RENDER,
        "project_mode": "music",
        "shot_count": None,
        "planner_model": "local-planner",
        "image_model": "local-painter",
        "music_model": "lyria-002",
    }
    plan, queues = queues_of(studio, {k: v for k, v in music.items() if v is not None})
    assert plan == "provider" and queues["references"] == "media"
    local = {**music, "music_model": "local-composer"}
    plan, _ = queues_of(studio, {k: v for k, v in local.items() if v is not None})
    assert plan == "media"
