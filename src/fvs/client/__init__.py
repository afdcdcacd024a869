"""A typed Python client for a Future Video Studio's agent API (httpx; sync and asyncio).

    from fvs.client import Studio

    studio = Studio("http://127.0.0.1:8000", key="fvs_...")
    status = studio.render({"screenplay": "A fox at dawn.", "shot_count": 2})
    studio.download(status, "fox.mp4")

Studio and AsyncStudio have the same methods: render (submit + wait), submit, get, wait,
cancel, approve, estimate, wallet, models and download. Statuses come back as
RenderStatus models; refusals raise StudioRefused subclasses carrying the API's `code`,
`message` and `field`; a studio that does not answer raises StudioUnreachable.
"""

from fvs.client._core import DEFAULT_BASE_URL, KEY_HEADER, Polling, Retries, slug
from fvs.client.async_ import AsyncStudio
from fvs.client.errors import (
    BadInput,
    ClientError,
    Conflict,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
    RenderFailed,
    StudioRefused,
    StudioUnreachable,
    Unauthorized,
    WaitTimedOut,
    refusal,
)
from fvs.client.sync import Studio
from fvs.client.types import Estimate, Progress, RenderStatus, Shot, Wallet

__all__ = [
    "DEFAULT_BASE_URL",
    "KEY_HEADER",
    "AsyncStudio",
    "BadInput",
    "ClientError",
    "Conflict",
    "Estimate",
    "InsufficientCredits",
    "InvalidRequest",
    "NotFound",
    "Polling",
    "Progress",
    "RenderFailed",
    "RenderStatus",
    "Retries",
    "Shot",
    "Studio",
    "StudioRefused",
    "StudioUnreachable",
    "Unauthorized",
    "WaitTimedOut",
    "Wallet",
    "refusal",
    "slug",
]
