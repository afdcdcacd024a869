"""`fvs mcp` over stdio, spawned by the SDK's own client and pointed at a live studio."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from fvs.mcp.tools import example_request
from fvs.media.probe import probe
from tests.conftest import SMALL_RENDER
from tests.events.idle import gauge
from tests.mcp.conftest import SRC, stdio_session

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend():
    return "asyncio"


def error_of(result) -> dict:
    assert result.is_error, result
    return json.loads(result.content[0].text)["error"]


async def test_reference_payload_renders_with_progress_and_downloads(live, make_agent, tmp_path):
    agent = make_agent(credits=2000)
    notes: list[tuple[float, float | None, str | None]] = []
    streams: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        notes.append((progress, total, message))
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"{live}/metrics")).text
        streams.append(gauge(metrics, "fvs_event_subscribers"))

    async with stdio_session(live, agent.key) as session:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert "download_final_video" in tools
        request = (await session.call_tool("example_render_request", {})).structured_content
        assert request == example_request()
        done = await session.call_tool(
            "submit_render",
            {"request": request, "wait_seconds": 600},
            read_timeout_seconds=700,
            progress_callback=on_progress,
        )
        assert not done.is_error, done
        status = done.structured_content
        assert status["status"] == "completed", status
        out = tmp_path / "films" / "final.mp4"
        saved = await session.call_tool(
            "download_final_video", {"project_id": status["project_id"], "path": str(out)}
        )
        assert saved.structured_content["size_bytes"] == out.stat().st_size > 0
    media = probe(out)
    assert media.video.codec == "h264" and abs(media.duration_seconds - 24) <= 0.5
    messages = [m for _, _, m in notes]
    # One note per stage reached and per shot's step, rising, ending with the render's end.
    assert any(m.endswith("stage filming") for m in messages), messages
    for shot in (1, 2, 3):
        assert f"shot {shot}/3 filmed" in messages, messages
    assert messages[-1] == "render completed"
    values = [p for p, _, _ in notes]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert values[-1] == 100 and all(v < 100 for v in values[:-1])
    assert all(total == 100 for _, total, _ in notes)
    # The notes came from the render's live event stream, which `fvs mcp` held open.
    assert max(streams) >= 1, streams


async def test_cancel_and_foreign_renders_over_stdio(live, make_agent):
    owner, stranger = make_agent(), make_agent()
    async with stdio_session(live, owner.key) as session:
        submitted = await session.call_tool("submit_render", {"request": SMALL_RENDER})
        project_id = submitted.structured_content["project_id"]
        cancelled = await session.call_tool("cancel_render", {"project_id": project_id})
        assert cancelled.structured_content["status"] == "cancelled"
        again = await session.call_tool("get_render", {"project_id": project_id})
        assert again.structured_content["status"] == "cancelled"
        early = await session.call_tool(
            "download_final_video", {"project_id": project_id, "path": "/tmp/never.mp4"}
        )
        assert error_of(early)["code"] == "conflict"
    async with stdio_session(live, stranger.key) as session:
        error = error_of(await session.call_tool("get_render", {"project_id": project_id}))
        assert (error["code"], error["field"]) == ("not_found", "project_id")
        wallet = await session.call_tool("get_wallet", {})
        assert wallet.structured_content["available_credits"] == 1000


async def test_a_bad_key_over_stdio_is_the_apis_401(live):
    async with stdio_session(live, "fvs_not_a_real_key") as session:
        error = error_of(await session.call_tool("get_wallet", {}))
        assert (error["code"], error["field"]) == ("unauthorized", "X-FVS-Agent-Key")


def test_fvs_mcp_without_a_key_says_what_to_set():
    env = {k: v for k, v in os.environ.items() if k != "FVS_AGENT_KEY"}
    env["PYTHONPATH"] = str(SRC)
    done = subprocess.run(
        [sys.executable, "-m", "fvs", "mcp"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "FVS_AGENT_KEY" in done.stderr
