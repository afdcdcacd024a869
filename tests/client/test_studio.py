"""Studio and AsyncStudio against the real studio on a live server: renders, refusals with
the API's code, retries that the Idempotency-Key makes safe, conditional polls."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fvs import client
from fvs.client import AsyncStudio, Polling, Retries, Studio
from fvs.renders.schemas import RenderRequest
from tests.conftest import SMALL_RENDER
from tests.live_server import free_port
from tests.threaded_server import serve_app, serve_in_thread

FAST = Polling(interval=0.2)


@pytest.fixture
def base_url(settings) -> Iterator[str]:
    with serve_in_thread(settings) as url:
        yield url


@pytest.mark.slow  # a whole video
def test_render_waits_for_the_film_and_download_writes_it(base_url, make_agent, tmp_path):
    agent = make_agent()
    kinds: list[str] = []
    with Studio(base_url, agent.key, polling=FAST) as studio:
        status = studio.render(SMALL_RENDER, on_progress=lambda p: kinds.append(p.stage))
        path = studio.download(status, tmp_path / "fox.mp4")
        wallet = studio.wallet()
    assert status.status == "completed" and status.finished and len(status.shots) == 2
    assert path.read_bytes()[4:8] == b"ftyp"
    assert "completed" in kinds and kinds[0] in ("input", "planning", "storyboarding")
    assert wallet.held_credits == 0 and wallet.available_credits == 1000 - status.credits_settled


@pytest.mark.slow  # a whole video
def test_polling_the_real_studio_sends_each_etag_back(base_url, make_agent):
    agent, polls = make_agent(), []

    def note(response: httpx.Response) -> None:
        if response.request.method == "GET":
            polls.append((response.request.headers.get("If-None-Match"), response.status_code))

    http = httpx.Client(
        base_url=base_url,
        headers={"X-FVS-Agent-Key": agent.key},
        event_hooks={"response": [note]},
    )
    with Studio(base_url, http=http, polling=FAST, events=False) as studio:
        status = studio.render(SMALL_RENDER)
    assert status.status == "completed" and status.final_video_url
    assert polls[0][0] is None and len(polls) >= 2
    assert all(tag is not None and tag.startswith('W/"') for tag, _ in polls[1:]), polls
    assert {code for _, code in polls} <= {200, 304} and polls[-1][1] == 200


def test_a_pydantic_request_is_sent_as_the_fields_it_set(base_url, make_agent):
    agent = make_agent()
    with Studio(base_url, agent.key) as studio:
        estimate = studio.estimate(RenderRequest.model_validate(SMALL_RENDER))
    assert estimate.settings["shot_count"] == 2 and estimate.affordable
    assert estimate.credits_estimated == sum(estimate.credits_breakdown.values())


def test_models_wallet_and_cancel(base_url, make_agent):
    agent = make_agent()
    with Studio(base_url, agent.key) as studio:
        assert any(m["id"] == "local-animatic" for m in studio.models()["models"])
        job = studio.submit({**SMALL_RENDER, "stage_behaviour": "halt_for_review"})
        held = studio.wallet().held_credits
        cancelled = studio.cancel(job)
        with pytest.raises(client.Conflict) as late:
            studio.approve(job.project_id)  # nothing left to approve
    assert held > 0 and cancelled.status == "cancelled"
    assert late.value.status_code == 409 and late.value.field == "project_id"


@pytest.mark.slow  # a storyboard, then a film
def test_a_halted_render_is_returned_for_approval_then_finishes(base_url, make_agent):
    agent = make_agent()
    with Studio(base_url, agent.key, polling=FAST) as studio:
        halted = studio.render({**SMALL_RENDER, "stage_behaviour": "halt_for_review"})
        assert halted.halted and halted.status not in ("completed", "failed")
        studio.approve(halted)
        assert studio.wait(halted).status == "completed"


def test_refusals_carry_the_apis_code_message_and_field(base_url, make_agent):
    agent, broke = make_agent(), make_agent(credits=0)
    with Studio(base_url, "fvs_wrong") as stranger, pytest.raises(client.Unauthorized) as e401:
        stranger.wallet()
    with Studio(base_url, agent.key) as studio, pytest.raises(client.InvalidRequest) as e422:
        studio.submit({**SMALL_RENDER, "shot_count": 999})
    with Studio(base_url, broke.key) as studio, pytest.raises(client.InsufficientCredits) as e402:
        studio.submit(SMALL_RENDER)
    with Studio(base_url, broke.key) as studio, pytest.raises(client.NotFound) as e404:
        studio.get("proj_0123456789abcdef")
    assert (e401.value.status_code, e401.value.code, e401.value.field) == (
        401,
        "unauthorized",
        "X-FVS-Agent-Key",
    )
    assert (e422.value.code, e422.value.field) == ("invalid_request", "shot_count")
    assert e402.value.code == "insufficient_credits" and e402.value.available == 0
    assert f"fvs credits grant {broke.email}" in str(e402.value.how_to_add_credits)
    assert e402.value.needed and e402.value.message.startswith(
        f"this render needs {e402.value.needed}"
    )
    assert e404.value.code == "not_found"
    assert "(404 not_found, field project_id)" in str(e404.value)


def test_a_file_goes_as_the_upload_part_it_names(base_url, make_agent, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    agent = make_agent()
    with Studio(base_url, agent.key) as studio, pytest.raises(client.InvalidRequest) as raised:
        studio.submit(SMALL_RENDER, files={"reference_image": tmp_path / "empty.png"})
    assert raised.value.field == "reference_image" and "empty" in raised.value.message


def test_each_submit_sends_its_own_idempotency_key(base_url, make_agent):
    agent, keys = make_agent(), []
    hooks = {"request": [lambda r: keys.append(r.headers.get("Idempotency-Key"))]}
    http = httpx.Client(
        base_url=base_url, headers={"X-FVS-Agent-Key": agent.key}, event_hooks=hooks
    )
    with Studio(base_url, http=http) as studio:
        first = studio.submit({**SMALL_RENDER, "stage_behaviour": "halt_for_review"})
        second = studio.submit({**SMALL_RENDER, "stage_behaviour": "halt_for_review"})
        studio.cancel(first), studio.cancel(second)
    submits = [k for k in keys if k is not None]
    assert len(submits) == 2 and submits[0] != submits[1] and first.project_id != second.project_id
    assert all(uuid.UUID(k).version == 4 for k in submits)


def test_a_submit_whose_answer_was_lost_is_retried_with_its_key_and_renders_once(
    base_url, make_agent
):
    # A proxy passes the first submit to the studio, then loses its answer (502).
    agent, seen = make_agent(), []

    async def forward(request: Request) -> Response:
        body = await request.body()
        seen.append(request.headers.get("idempotency-key"))
        async with httpx.AsyncClient(base_url=base_url) as upstream:
            answer = await upstream.request(
                request.method,
                request.url.path,
                content=body,
                headers={k: v for k, v in request.headers.items() if k != "host"},
            )
        if request.method == "POST" and len(seen) == 1:
            return Response("upstream went away", status_code=502)
        return Response(answer.content, answer.status_code, media_type="application/json")

    proxy = Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])
    with serve_app(proxy) as proxied:
        with Studio(proxied, agent.key, retries=Retries(attempts=3, base_delay=0.05)) as studio:
            job = studio.submit({**SMALL_RENDER, "stage_behaviour": "halt_for_review"})
        with Studio(base_url, agent.key) as direct:
            listed = httpx.get(
                f"{base_url}/api/agent/renders", headers={"X-FVS-Agent-Key": agent.key}
            ).json()
            direct.cancel(job)
    assert len(seen) == 2 and seen[0] == seen[1] is not None
    ids = [r["project_id"] for r in listed["renders"]]
    assert ids == [job.project_id]  # the retry replayed the first render: one render, one hold


def test_a_studio_that_is_not_running_is_unreachable():
    closed = f"http://127.0.0.1:{free_port()}"
    retries = Retries(attempts=2, base_delay=0.01)
    with (
        Studio(closed, "fvs_x", retries=retries) as studio,
        pytest.raises(client.StudioUnreachable) as raised,
    ):
        studio.get("proj_x")
    assert str(raised.value) == f"cannot reach the studio at {closed} (connection refused)"


def test_the_async_client_speaks_the_same_api(base_url, make_agent):
    agent = make_agent()

    async def main() -> tuple[str, int, str]:
        async with AsyncStudio(base_url, agent.key, polling=FAST) as studio:
            job = await studio.submit({**SMALL_RENDER, "stage_behaviour": "halt_for_review"})
            halted = await studio.wait(job, timeout=120)
            wallet = await studio.wallet()
            await studio.cancel(job)
            try:
                await studio.submit({**SMALL_RENDER, "shot_count": 999})
            except client.InvalidRequest as exc:
                return halted.current_stage, wallet.held_credits, str(exc.field)
            raise AssertionError("a bad shot_count was accepted")

    stage, held, field = asyncio.run(main())
    assert stage == "halted_for_review" and held > 0 and field == "shot_count"
