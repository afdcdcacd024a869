"""Standard Webhooks signatures: `whsec_` secrets and the webhook-* headers."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_BYTES = 24


def new_secret() -> str:
    """A new signing secret, shown to its owner once: whsec_ and base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def headers(
    *, msg_id: str, timestamp: datetime, body: str, signing_secrets: Sequence[str]
) -> dict[str, str]:
    """The webhook-id, -timestamp and -signature headers; one v1 signature per secret."""
    signatures = [Webhook(s).sign(msg_id, timestamp, body) for s in signing_secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "fvs-webhooks/1",
    }
