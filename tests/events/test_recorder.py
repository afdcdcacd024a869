"""The event log is written with the change it reports, and seqs stay gapless under load."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from fvs.models import Project, ProjectEvent, Shot
from fvs.stages import Stage, Status
from tests.factories import account_with_renders

SHOTS = 6
ROUNDS = 4


def log_of(studio, project_id: str) -> list[ProjectEvent]:
    with studio.db.read() as session:
        return list(
            session.scalars(
                select(ProjectEvent)
                .where(ProjectEvent.project_id == project_id)
                .order_by(ProjectEvent.seq)
            )
        )


def with_shots(studio) -> str:
    _account, (project,) = account_with_renders(studio)

    def add(session):
        for index in range(SHOTS):
            session.add(
                Shot(
                    project_id=project.id,
                    index=index,
                    duration_seconds=2,
                    camera_move="static",
                    text=f"shot {index}",
                )
            )

    studio.db.transact(add)
    return project.id


def test_a_rolled_back_change_logs_nothing(studio):
    project_id = with_shots(studio)

    def change_then_fail(session):
        project = session.get(Project, project_id)
        project.status = Status.RUNNING
        project.current_stage = Stage.STORYBOARDING
        session.flush()
        raise RuntimeError("the step failed after its flush")

    with pytest.raises(RuntimeError):
        studio.db.transact(change_then_fail)
    assert log_of(studio, project_id) == []

    def change(session):
        project = session.get(Project, project_id)
        project.status = Status.RUNNING
        project.current_stage = Stage.STORYBOARDING

    studio.db.transact(change)
    assert [(e.seq, e.type, e.data["stage"]) for e in log_of(studio, project_id)] == [
        (1, "render.stage_changed", "storyboarding"),
        (2, "render.progress", "storyboarding"),
    ]


def test_a_flush_that_changes_nothing_logs_nothing(studio):
    project_id = with_shots(studio)

    def touch(session):
        project = session.get(Project, project_id)
        project.status = project.status
        project.notes = ["a note is not an event"]

    studio.db.transact(touch)
    assert log_of(studio, project_id) == []


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_concurrent_writers_get_gapless_unique_seqs(studio):
    project_id = with_shots(studio)
    errors: list[BaseException] = []

    def paint(index: int) -> None:
        for take in range(ROUNDS):

            def apply(session, take=take):
                shot = session.scalars(
                    select(Shot).where(Shot.project_id == project_id, Shot.index == index)
                ).one()
                shot.keyframe_path = f"k/{index}/{take}.png"
                shot.keyframe_version = take + 1

            try:
                studio.db.transact(apply)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

    workers = [threading.Thread(target=paint, args=(i,)) for i in range(SHOTS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert not errors
    log = log_of(studio, project_id)
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    changed = [e for e in log if e.type == "render.shot_changed"]
    assert len(changed) == SHOTS * ROUNDS
    with studio.db.read() as session:
        assert session.get(Project, project_id).event_seq == len(log)
