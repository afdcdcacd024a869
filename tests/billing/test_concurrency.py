"""Money under concurrency: a wallet never overdraws, and one Idempotency-Key makes one render."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from fvs.app import build_studio
from fvs.models import Project, Transfer
from fvs.providers.registry import PROJECT_CREATION_CREDITS
from tests.conftest import SMALL_RENDER
from tests.ledger_invariants import assert_ledger_consistent
from tests.threaded_server import serve_in_thread

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
# No worker runs the renders: these tests are about accepting them and the wallet.
ACCEPT_ONLY = pytest.mark.settings(executor="none")


def post_render(base_url: str, key: str, headers: dict[str, str] | None = None):
    return requests.post(
        f"{base_url}/api/agent/renders",
        headers={"X-FVS-Agent-Key": key, **(headers or {})},
        files={"request_json": (None, json.dumps(SMALL_RENDER))},
        timeout=120,
    )


@pytest.mark.slow
@BOTH
@ACCEPT_ONLY
def test_a_hundred_submissions_against_ten_renders_of_credit(settings, make_agent):
    probe_agent = make_agent(credits=10_000)
    with serve_in_thread(settings) as base_url:
        estimate = requests.post(
            f"{base_url}/api/agent/renders/estimate",
            headers={"X-FVS-Agent-Key": probe_agent.key},
            json=SMALL_RENDER,
            timeout=30,
        ).json()["credits_estimated"]
        agent = make_agent(credits=10 * estimate)
        seen_negative = []
        stop = threading.Event()

        def watch_wallet() -> None:
            while not stop.is_set():
                wallet = requests.get(
                    f"{base_url}/api/agent/wallet",
                    headers={"X-FVS-Agent-Key": agent.key},
                    timeout=30,
                ).json()
                if wallet["available_credits"] < 0:
                    seen_negative.append(wallet)

        watcher = threading.Thread(target=watch_wallet)
        watcher.start()
        with ThreadPoolExecutor(max_workers=25) as pool:
            responses = list(pool.map(lambda _: post_render(base_url, agent.key), range(100)))
        stop.set()
        watcher.join()
        codes = Counter(r.status_code for r in responses)
        assert codes == {202: 10, 402: 90}, codes
        assert all(
            r.json()["error"]["code"] == "insufficient_credits"
            for r in responses
            if r.status_code == 402
        )
        assert seen_negative == []
        wallet = requests.get(
            f"{base_url}/api/agent/wallet", headers={"X-FVS-Agent-Key": agent.key}, timeout=30
        ).json()
        assert wallet["available_credits"] == 0
        # Ten creation charges posted; the rest of ten estimates held.
        assert wallet["balance_credits"] == 10 * estimate - 10 * PROJECT_CREATION_CREDITS
        assert wallet["held_credits"] == wallet["balance_credits"]


@pytest.mark.slow
@BOTH
@ACCEPT_ONLY
def test_twenty_concurrent_twins_with_one_idempotency_key_make_one_render(settings, make_agent):
    agent = make_agent(credits=10_000)
    with serve_in_thread(settings) as base_url:
        headers = {"Idempotency-Key": "retry-me-7"}
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(
                pool.map(lambda _: post_render(base_url, agent.key, headers), range(20))
            )
        codes = Counter(r.status_code for r in responses)
        assert set(codes) <= {202, 409} and codes[202] >= 1, codes
        ids = {r.json()["project_id"] for r in responses if r.status_code == 202}
        assert len(ids) == 1
        replay = post_render(base_url, agent.key, headers)
        assert replay.status_code == 202 and replay.json()["project_id"] in ids
        assert replay.headers["Idempotent-Replayed"] == "true"
    studio = build_studio(settings)
    try:
        with studio.db.read() as session:
            projects = session.scalar(
                select(func.count())
                .select_from(Project)
                .where(Project.account_id == agent.account_id)
            )
            holds = session.scalar(
                select(func.count()).select_from(Transfer).where(Transfer.kind == "pending")
            )
            charges = session.scalar(
                select(func.count())
                .select_from(Transfer)
                .where(Transfer.kind == "single", Transfer.project_id.is_not(None))
            )
        assert projects == 1 and charges == 1
        assert holds == 4  # planning, storyboarding, filming, production: one set
        assert_ledger_consistent(studio)
    finally:
        studio.db.dispose()
