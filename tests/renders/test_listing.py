"""GET /api/agent/renders: the key's account's renders, newest first, paged and filtered."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from fvs.models import Project
from tests.conftest import SMALL_RENDER

# Nothing picks the jobs up: every render stays queued until the test changes it.
pytestmark = pytest.mark.settings(executor="none")


def _submit(client, agent, count: int) -> list[str]:
    ids = []
    for n in range(count):
        response = client.post(
            "/api/agent/renders",
            headers=agent.headers,
            files={"request_json": (None, json.dumps({**SMALL_RENDER, "name": f"render {n}"}))},
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["project_id"])
    return ids


def _all_pages(client, agent, limit: int, **params) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/agent/renders", headers=agent.headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert len(body["renders"]) <= limit
        seen += [item["project_id"] for item in body["renders"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_pages_run_newest_first_without_gaps_or_repeats(client, make_agent):
    agent = make_agent()
    ids = _submit(client, agent, 5)
    seen, pages = _all_pages(client, agent, limit=2)
    assert seen == ids[::-1] and pages == 3
    # Renders created in the same instant still page exactly once each, by id.
    studio = client.app.state.studio
    stamp = studio.db.transact(lambda s: s.get(Project, ids[0]).created_at)
    studio.db.transact(
        lambda s: s.execute(update(Project).where(Project.id.in_(ids)).values(created_at=stamp))
    )
    seen, _pages = _all_pages(client, agent, limit=2)
    assert seen == sorted(ids, reverse=True)


def test_an_item_says_where_the_render_stands_and_links_its_status(client, make_agent):
    agent = make_agent()
    (project_id,) = _submit(client, agent, 1)
    body = client.get("/api/agent/renders", headers=agent.headers).json()
    assert body["next_cursor"] is None
    (item,) = body["renders"]
    status = client.get(item["status_url"], headers=agent.headers).json()
    assert item["project_id"] == status["project_id"] == project_id
    for field in ("name", "status", "current_stage", "is_running", "needs_approval"):
        assert item[field] == status[field], field
    for field in ("progress", "clip_count", "credits_reserved", "credits_settled"):
        assert item[field] == status[field], field
    assert item["created_at"] == status["created_at"]
    assert item["updated_at"] == status["updated_at"]
    assert item["name"] == "render 0" and item["status"] == "queued"


def test_another_accounts_renders_never_appear(client, make_agent):
    mine, theirs = make_agent(), make_agent()
    my_ids = _submit(client, mine, 2)
    _submit(client, theirs, 3)
    seen, _pages = _all_pages(client, mine, limit=100)
    assert sorted(seen) == sorted(my_ids)
    empty = make_agent()
    assert client.get("/api/agent/renders", headers=empty.headers).json() == {
        "renders": [],
        "next_cursor": None,
    }


def test_status_keeps_one_status_only(client, make_agent):
    agent = make_agent()
    ids = _submit(client, agent, 3)
    cancel = client.post(f"/api/agent/renders/{ids[1]}/cancel", headers=agent.headers)
    assert cancel.status_code == 200
    assert _all_pages(client, agent, limit=1, status="cancelled")[0] == [ids[1]]
    assert _all_pages(client, agent, limit=1, status="queued")[0] == [ids[2], ids[0]]
    assert _all_pages(client, agent, limit=5, status="completed")[0] == []


def test_the_default_page_is_twenty(client, make_agent):
    agent = make_agent()
    ids = _submit(client, agent, 21)
    first = client.get("/api/agent/renders", headers=agent.headers).json()
    assert [i["project_id"] for i in first["renders"]] == ids[:0:-1]
    rest = client.get(
        "/api/agent/renders", headers=agent.headers, params={"cursor": first["next_cursor"]}
    ).json()
    assert [i["project_id"] for i in rest["renders"]] == [ids[0]]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "bm8gYmFy"}, "cursor"),  # base64 of "no bar": no separator
    ],
)
def test_bad_parameters_are_a_422_naming_them(client, make_agent, params, field):
    agent = make_agent()
    response = client.get("/api/agent/renders", headers=agent.headers, params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == field


def test_an_unknown_status_names_the_ones_there_are(client, make_agent):
    agent = make_agent()
    response = client.get("/api/agent/renders", headers=agent.headers, params={"status": "x"})
    message = response.json()["error"]["message"]
    for status in ("queued", "running", "completed", "failed", "cancelled"):
        assert status in message


def test_the_list_needs_a_key(client):
    response = client.get("/api/agent/renders")
    assert response.status_code == 401
    assert response.json()["error"]["field"] == "X-FVS-Agent-Key"
