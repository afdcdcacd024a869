"""The README's ten-line receiver, run as written against a real signed delivery."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from fvs.studio import Studio
from fvs.webhooks import delivery
from fvs.webhooks.delivery import Claimed
from tests.live_server import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ="


def _receiver_source(port: int) -> str:
    text = README.read_text()
    code = re.search(r"<!-- webhook-receiver -->\n```python\n(.*?)```", text, re.S)
    assert code is not None
    source = code.group(1)
    assert len(source.strip().splitlines()) <= 10
    return source.replace('"whsec_..."', repr(SECRET)).replace("8080", str(port))


def test_the_readme_receiver_verifies_a_delivery(studio: Studio, tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "receiver.py"
    script.write_text(_receiver_source(port))
    process = subprocess.Popen(
        [sys.executable, "-u", str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        settings = studio.settings.model_copy(update={"webhook_allow_private": True})
        claimed = Claimed(
            delivery_id=1,
            token="t",
            url=f"http://127.0.0.1:{port}/",
            msg_id="msg_readme",
            body='{"type":"render.completed","created_at":"x","data":{"status":"completed"}}',
            signing_secrets=(SECRET,),
        )
        outcome = _first_answer(claimed, settings)
        forged = Claimed(**{**claimed.__dict__, "signing_secrets": ("whsec_" + "QUJD" * 8,)})
        refused = delivery.attempt(forged, settings=settings)
    finally:
        process.kill()
        output = process.communicate(timeout=10)[0].decode()
    assert outcome.status_code == 204
    assert "render.completed completed" in output
    assert not refused.delivered  # a forged signature is never a 2xx


def _first_answer(claimed: Claimed, settings: object) -> delivery.Outcome:
    deadline = time.monotonic() + 20
    while True:
        outcome = delivery.attempt(claimed, settings=settings)  # type: ignore[arg-type]
        if outcome.status_code is not None or time.monotonic() > deadline:
            return outcome
        time.sleep(0.1)  # the receiver is still starting
