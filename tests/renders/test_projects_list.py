"""The studio's projects list reads every render, its shots and its spend in one query."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from fvs.renders import service as renders
from tests.factories import account_with_renders
from tests.pipeline.drive import run_until


def _account_with_renders(studio, count: int) -> str:
    account_id, _projects = account_with_renders(studio, renders_count=count, credits=1000)
    return account_id


def _list_counting_queries(studio, account_id: str):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(studio.db.engine, "before_cursor_execute", count)
    try:
        with studio.db.read() as session:
            found = renders.list_renders(session, account_id=account_id)
    finally:
        event.remove(studio.db.engine, "before_cursor_execute", count)
    return found, statements


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_the_list_is_one_query_however_many_renders(studio):
    one = _account_with_renders(studio, 1)
    five = _account_with_renders(studio, 5)
    found_one, queries_one = _list_counting_queries(studio, one)
    found_five, queries_five = _list_counting_queries(studio, five)
    assert len(found_one) == 1 and len(found_five) == 5
    assert len(queries_one) == len(queries_five) == 1


def test_the_list_agrees_with_each_renders_status(studio):
    account_id = _account_with_renders(studio, 2)
    run_until(studio, last_step="keyframe")  # one render planned and partly storyboarded
    with studio.db.read() as session:
        listed = renders.list_renders(session, account_id=account_id)
        for summary in listed:
            status = renders.status_of(
                session,
                account_id=account_id,
                project_id=summary.project_id,
                base_url="http://studio.test",
                settings=studio.settings,
                storage=studio.storage,
            )
            assert summary.shot_count == len(status.shots)
            assert summary.clip_count == status.clip_count
            assert summary.progress == status.progress
            assert summary.credits_settled == status.credits_settled > 0
            assert summary.credits_reserved == status.credits_reserved
    assert {s.progress for s in listed} != {0.0}  # the driven render shows its progress
