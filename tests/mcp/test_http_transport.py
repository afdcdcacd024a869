"""The studio's /mcp over streamable HTTP, through the SDK's own client."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
from mcp.types import TextResourceContents

from fvs.app import build_studio, create_app
from fvs.keys import service as keys
from fvs.mcp.tools import REFERENCE_URI
from tests.conftest import SMALL_RENDER
from tests.mcp.conftest import http_session

pytestmark = pytest.mark.anyio

TOOLS = {
    "submit_render",
    "get_render",
    "cancel_render",
    "approve_render",
    "regenerate_shot",
    "estimate_render",
    "get_wallet",
    "list_models",
    "example_render_request",
}


def error_of(result) -> dict:
    assert result.is_error, result
    # The text is exactly the API's error body; structured content carries it too.
    body = json.loads(result.content[0].text)
    assert result.structured_content == body
    return body["error"]


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_tools_schemas_and_the_wallet_over_http(live, make_agent):
    agent = make_agent(credits=500)
    async with http_session(live, agent.headers) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOLS  # download_final_video is stdio's alone
        request_schema = tools["submit_render"].input_schema["properties"]["request"]
        # RenderRequest's own schema, with its field descriptions, nested whole.
        assert "screenplay" in request_schema["properties"]
        assert request_schema["properties"]["video_model"]
        assert "content_base64" in json.dumps(tools["submit_render"].input_schema)
        wallet = await session.call_tool("get_wallet", {})
        assert not wallet.is_error
        assert wallet.structured_content["available_credits"] == 500


async def test_bearer_key_works_and_the_reference_is_markdown(live, make_agent):
    agent = make_agent()
    async with http_session(live, {"Authorization": f"Bearer {agent.key}"}) as session:
        models = await session.call_tool("list_models", {})
        ids = {m["id"] for m in models.structured_content["models"]}
        assert "local-animatic" in ids
        read = await session.read_resource(REFERENCE_URI)
        (content,) = read.contents
        assert isinstance(content, TextResourceContents)
        assert content.mime_type == "text/markdown"
        assert content.text.startswith("#") and live in content.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-FVS-Agent-Key": "fvs_not_a_real_key"}, {"Authorization": "Bearer nonsense"}],
    ids=["no key", "bad key", "bad bearer"],
)
def test_no_key_or_a_bad_key_is_401_before_any_mcp_work(live, headers):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    answer = httpx.post(
        f"{live}/mcp",
        json=body,
        headers={**headers, "Accept": "application/json, text/event-stream"},
        timeout=30,
    )
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == "unauthorized" and error["field"] == "X-FVS-Agent-Key"


def test_a_revoked_key_is_refused_on_mcp_as_on_the_api(live, make_agent, settings):
    agent = make_agent()
    mcp_call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream"}
    studio = build_studio(settings)
    try:
        with studio.db.read() as session:
            key_id = keys.verify_key(
                session, clear=agent.key, secret=settings.resolved_secret
            ).key_id
        studio.db.transact(lambda s: keys.revoke_key(s, key_id=key_id))
    finally:
        studio.db.dispose()
    api = httpx.get(f"{live}/api/agent/wallet", headers=agent.headers, timeout=30)
    mcp = httpx.post(f"{live}/mcp", json=mcp_call, headers={**agent.headers, **accept}, timeout=30)
    assert api.status_code == mcp.status_code == 401
    assert api.json() == mcp.json()


async def test_another_accounts_render_is_not_found(live, make_agent):
    owner, stranger = make_agent(), make_agent()
    async with http_session(live, owner.headers) as session:
        submitted = await session.call_tool("submit_render", {"request": SMALL_RENDER})
        assert not submitted.is_error, submitted
        project_id = submitted.structured_content["project_id"]
        mine = await session.call_tool("get_render", {"project_id": project_id})
        assert mine.structured_content["project_id"] == project_id
        await session.call_tool("cancel_render", {"project_id": project_id})
    async with http_session(live, stranger.headers) as session:
        for tool in ("get_render", "cancel_render", "approve_render"):
            error = error_of(await session.call_tool(tool, {"project_id": project_id}))
            assert (error["code"], error["field"]) == ("not_found", "project_id")


async def test_api_errors_reach_the_agent_with_code_and_field(live, make_agent):
    agent = make_agent(credits=0)
    async with http_session(live, agent.headers) as session:
        bad = await session.call_tool("estimate_render", {"request": {"shot_count": 0}})
        error = error_of(bad)
        assert (error["code"], error["field"]) == ("invalid_request", "shot_count")
        poor = error_of(await session.call_tool("submit_render", {"request": SMALL_RENDER}))
        assert poor["code"] == "insufficient_credits"
        files = [{"filename": "x.png", "content_base64": "not base64!"}]
        junk = await session.call_tool("submit_render", {"request": SMALL_RENDER, "files": files})
        assert error_of(junk)["field"] == "files[0].content_base64"


async def test_estimate_quotes_without_charging(live, make_agent):
    agent = make_agent(credits=1000)
    async with http_session(live, agent.headers) as session:
        example = (await session.call_tool("example_render_request", {})).structured_content
        assert example["shot_count"] == 3
        quote = (
            await session.call_tool("estimate_render", {"request": example})
        ).structured_content
        assert quote["credits_estimated"] > 0 and quote["affordable"] is True
        wallet = (await session.call_tool("get_wallet", {})).structured_content
        assert wallet["available_credits"] == 1000


@pytest.mark.slow
async def test_reference_payload_renders_to_completion_over_http(live, make_agent):
    agent = make_agent(credits=2000)
    async with http_session(live, agent.headers) as session:
        request = (await session.call_tool("example_render_request", {})).structured_content
        done = await session.call_tool(
            "submit_render", {"request": request, "wait_seconds": 600}, read_timeout_seconds=700
        )
        status = done.structured_content
        assert status["status"] == "completed", status
        assert [shot["state"] for shot in status["shots"]] == ["filmed"] * 3
    video = httpx.get(status["final_video_url"], timeout=60)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"


def test_mcp_answers_after_the_app_restarts(settings, make_agent):
    """An app's lifespan may run again (a test client reopened, a server reloaded)."""
    agent = make_agent()
    app = create_app(settings)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {**agent.headers, "Accept": "application/json, text/event-stream"}
    for _ in range(2):
        with TestClient(app) as client:
            answer = client.post("/mcp", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            assert {tool["name"] for tool in answer.json()["result"]["tools"]} >= TOOLS
