"""Conditional status polls: an ETag on every status, 304 for a current copy, Retry-After."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from fvs.models import Project, Shot
from fvs.renders import freshness, service
from fvs.stages import Stage
from tests.conftest import SMALL_RENDER, Agent

HALTING = {**SMALL_RENDER, "stage_behaviour": "halt_for_review"}


def _submit(client, agent: Agent, body=SMALL_RENDER) -> str:
    files = {"request_json": (None, json.dumps(body))}
    answer = client.post("/api/agent/renders", headers=agent.headers, files=files)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["project_id"])


def _poll(client, agent: Agent, project_id: str, etag: str | None = None):
    headers = dict(agent.headers)
    if etag is not None:
        headers["If-None-Match"] = etag
    return client.get(f"/api/agent/renders/{project_id}", headers=headers)


def _change(client, *statements) -> None:
    """Move a render the way the pipeline's own steps would: commit row changes."""
    studio = client.app.state.studio

    def apply(session) -> None:
        for statement in statements:
            session.execute(statement)

    studio.db.transact(apply)


def _add_shots(client, project_id: str, count: int) -> None:
    studio = client.app.state.studio

    def add(session) -> None:
        for index in range(count):
            session.add(
                Shot(
                    project_id=project_id,
                    index=index,
                    duration_seconds=4,
                    camera_move="static",
                    text=f"shot {index}",
                )
            )

    studio.db.transact(add)


# SQLite reads the version on the event loop; PostgreSQL in a worker thread.
@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
@pytest.mark.settings(executor="none")
def test_a_status_carries_an_etag_and_a_current_copy_gets_304_with_no_body(client, make_agent):
    agent = make_agent()
    project_id = _submit(client, agent)
    first = _poll(client, agent, project_id)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and tag.endswith('"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert first.json()["project_id"] == project_id

    again = _poll(client, agent, project_id, etag=tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Retry-After"] == "1"
    # A list naming it, the strong form of the same tag, and * all match (weak comparison).
    for header in (f'W/"nope", {tag}', tag.removeprefix("W/"), "*"):
        assert _poll(client, agent, project_id, etag=header).status_code == 304
    assert _poll(client, agent, project_id, etag='W/"other"').status_code == 200


@pytest.mark.settings(executor="none")
def test_a_current_copy_is_answered_without_building_the_body(client, make_agent, monkeypatch):
    agent = make_agent()
    project_id = _submit(client, agent)
    tag = _poll(client, agent, project_id).headers["ETag"]
    built = []
    real = service.render_status
    monkeypatch.setattr(service, "render_status", lambda *a, **k: built.append(1) or real(*a, **k))
    assert _poll(client, agent, project_id, etag=tag).status_code == 304
    assert built == []  # no shots read, no URL signed, nothing serialised
    # Without If-None-Match an unchanged render gets the bytes built last time.
    assert _poll(client, agent, project_id).json()["project_id"] == project_id
    assert built == []
    # Once the render moves, its body is built afresh, once.
    moved = update(Project).where(Project.id == project_id).values(current_stage=Stage.PLANNING)
    _change(client, moved)
    for _ in range(3):
        assert _poll(client, agent, project_id).json()["current_stage"] == Stage.PLANNING
    assert built == [1]


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
@pytest.mark.settings(executor="none")
def test_the_etag_moves_with_the_stage_the_progress_and_the_status(client, make_agent):
    agent = make_agent()
    project_id = _submit(client, agent)
    project = update(Project).where(Project.id == project_id)
    shot = update(Shot).where(Shot.project_id == project_id)
    seen = [_poll(client, agent, project_id).headers["ETag"]]

    _change(client, project.values(status="running", current_stage=Stage.STORYBOARDING))
    _add_shots(client, project_id, 2)
    steps = [
        lambda: None,  # the stage changed above
        lambda: _change(client, shot.where(Shot.index == 0).values(keyframe_path="k0.png")),
        lambda: _change(client, shot.where(Shot.index == 0).values(notes=["repainted once"])),
        lambda: _change(client, shot.where(Shot.index == 0).values(keyframe_version=2)),
        lambda: _change(client, project.values(current_stage=Stage.FILMING)),
        lambda: _change(client, shot.where(Shot.index == 1).values(clip_path="c1.mp4")),
    ]
    progress = []
    for step in steps:
        step()
        answer = _poll(client, agent, project_id, etag=seen[-1])
        assert answer.status_code == 200, "a changed render must not be answered 304"
        seen.append(answer.headers["ETag"])
        progress.append(answer.json()["progress"])
        assert _poll(client, agent, project_id, etag=seen[-1]).status_code == 304
    assert progress == sorted(progress) and progress[0] < progress[-1]

    cancelled = client.post(f"/api/agent/renders/{project_id}/cancel", headers=agent.headers)
    assert cancelled.status_code == 200
    final = _poll(client, agent, project_id, etag=seen[-1])
    assert final.status_code == 200 and final.json()["status"] == "cancelled"
    seen.append(final.headers["ETag"])
    assert len(set(seen)) == len(seen)


@pytest.mark.settings(executor="none")
def test_retry_after_hints_by_state_and_is_absent_once_ended(client, make_agent):
    agent = make_agent()
    project_id = _submit(client, agent)
    project = update(Project).where(Project.id == project_id)

    def hint() -> str | None:
        answer = _poll(client, agent, project_id)
        again = _poll(client, agent, project_id, etag=answer.headers["ETag"])
        assert again.headers.get("Retry-After") == answer.headers.get("Retry-After")
        return answer.headers.get("Retry-After")

    assert hint() == str(freshness.LOCAL_WORK_RETRY_SECONDS)  # queued, local work ahead
    _add_shots(client, project_id, 1)
    _change(
        client,
        project.values(status="running", current_stage=Stage.FILMING),
        update(Shot).where(Shot.project_id == project_id).values(operation_name="operations/1"),
    )
    assert hint() == str(freshness.REMOTE_FILMING_RETRY_SECONDS)  # a Veo clip in flight
    _change(client, project.values(current_stage=Stage.HALTED_FOR_REVIEW))
    assert hint() == str(freshness.AWAITING_REVIEW_RETRY_SECONDS)
    for status in ("completed", "failed"):
        _change(client, project.values(status=status))
        assert hint() is None
    # Back to running, then ended for real: a cancel returns its holds, as the ledger wants.
    _change(client, project.values(status="running", current_stage=Stage.FILMING))
    assert hint() == str(freshness.REMOTE_FILMING_RETRY_SECONDS)
    cancel = client.post(f"/api/agent/renders/{project_id}/cancel", headers=agent.headers)
    assert cancel.status_code == 200 and "Retry-After" not in cancel.headers
    assert hint() is None


@pytest.mark.settings(executor="none")
def test_another_origin_gets_another_etag(client, make_agent):
    agent = make_agent()
    project_id = _submit(client, agent)
    here = _poll(client, agent, project_id).headers["ETag"]
    elsewhere = client.get(
        f"/api/agent/renders/{project_id}", headers={**agent.headers, "Host": "other.example"}
    )
    assert elsewhere.headers["ETag"] != here
    assert elsewhere.json()["status_url"].startswith("http://other.example/")


def test_a_new_hour_of_signed_links_gives_a_new_etag():
    version = freshness.Version(status="running", stage="filming", clips_in_flight=1, parts=(1,))
    at = 1_800_000_000.0  # on the hour
    tag = freshness.etag(version, base_url="http://x", ttl_seconds=3600, now=at + 1)
    # Links made within one hour share their rounded expiry, and so the tag.
    assert freshness.etag(version, base_url="http://x", ttl_seconds=3600, now=at + 3599) == tag
    assert freshness.etag(version, base_url="http://x", ttl_seconds=3600, now=at + 3601) != tag


def test_another_accounts_render_is_404_with_or_without_a_tag(client, make_agent):
    owner, stranger = make_agent(), make_agent()
    project_id = _submit(client, owner)
    tag = _poll(client, owner, project_id).headers["ETag"]
    assert _poll(client, stranger, project_id).status_code == 404
    assert _poll(client, stranger, project_id, etag=tag).status_code == 404


@pytest.mark.slow
def test_a_whole_render_never_answers_304_for_a_changed_body(client, make_agent, monkeypatch):
    # Every 200 built afresh: a stale ETag would show as one tag with two bodies.
    monkeypatch.setattr(freshness, "bodies", freshness.Bodies(max_bytes=0))
    agent = make_agent()
    project_id = _submit(client, agent, HALTING)
    bodies: dict[str, dict] = {}
    tag = None
    while True:
        answer = _poll(client, agent, project_id, etag=tag)
        if answer.status_code == 200:
            tag = answer.headers["ETag"]
            body = answer.json()
            assert bodies.setdefault(tag, body) == body, "one tag, two bodies"
        else:
            assert answer.status_code == 304 and answer.content == b""
        if bodies[tag]["needs_approval"]:
            break
    stages = [b["current_stage"] for b in bodies.values()]
    assert stages[-1] == Stage.HALTED_FOR_REVIEW and len(bodies) >= 3


def test_the_body_cache_keeps_to_its_byte_budget():
    cache = freshness.Bodies(max_bytes=10)
    cache.put("a", "t1", b"12345")
    cache.put("b", "t1", b"12345")
    assert cache.get("a", "t1") == b"12345"  # now the most recently used
    cache.put("c", "t1", b"123")
    assert cache.get("b", "t1") is None and cache.get("a", "t1") == b"12345"
    assert cache.get("c", "t1") == b"123" and cache.size == 8
    cache.put("d", "t1", b"12345678901")  # larger than the whole budget: kept by nobody
    assert cache.size == 0 and cache.get("d", "t1") is None
