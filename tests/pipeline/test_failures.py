"""A step that keeps failing fails its render in plain words; its holds are released."""

from __future__ import annotations

import pytest

from fvs.billing import repository as ledger
from fvs.billing import service as billing
from fvs.renders import service as renders
from tests.factories import account_with_renders
from tests.pipeline.drive import run_next, run_until


def submit(studio, credits: int = 500) -> tuple[str, str]:
    account_id, (project,) = account_with_renders(studio, credits=credits)
    return account_id, project.id


@pytest.mark.slow
@pytest.mark.settings(job_max_attempts=2, job_retry_base_seconds=0)
def test_a_broken_keyframe_fails_filming_with_stage_and_shot(studio):
    account_id, project_id = submit(studio)
    ran = run_until(studio)
    assert ran.count("keyframe") == 2 and "produce" in ran  # the happy path first
    # Now a second render whose keyframe is destroyed before filming.
    account_id, project_id = submit(studio)
    run_until(studio, last_step="keyframe")
    run_until(studio, last_step="keyframe")
    studio.storage.put_bytes(
        f"projects/{project_id}/keyframes/shot-02.png", b"not a png", "image/png"
    )
    ran = run_until(studio)
    assert ran.count("film") == 3  # shot 2 tried twice, shot 1 once
    with studio.db.read() as session:
        project = renders.get_render(session, account_id=account_id, project_id=project_id)
        assert project.status == "failed" and project.current_stage == "filming"
        assert project.last_error.startswith("filming failed on shot 2: ")
        assert project.active_run_id is None
        assert ledger.open_holds(session, project_id=project_id) == []
        wallet = billing.wallet_balance(session, account_id=account_id)
        settled = billing.project_settled(session, project_id=project_id)
        assert 500 - wallet.available == settled
        assert settled < project.credits_reserved
    assert run_next(studio) is None
