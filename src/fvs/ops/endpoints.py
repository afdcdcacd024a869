"""Probes and metrics for people running several machines: /healthz, /readyz, /metrics."""

from __future__ import annotations

import hmac

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from fvs import metrics
from fvs.deps import StudioDep
from fvs.errors import AppError
from fvs.ops import health
from fvs.ops.collector import StudioCollector
from fvs.studio import Studio

router = APIRouter(include_in_schema=False)


class MetricsUnauthorized(AppError):
    status_code = 401
    code = "unauthorized"


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers. Touches nothing."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(studio: StudioDep) -> JSONResponse:
    """Readiness: database, broker and storage reachable; 503 naming the one that is down."""
    results = await to_thread.run_sync(health.run_checks, studio, health.READINESS)
    down = [r for r in results if r.problem]
    body: dict[str, object] = {
        "status": "down" if down else "ready",
        "checks": {r.name: r.problem or "ok" for r in results},
    }
    if down:
        body["error"] = {"code": "not_ready", "message": down[0].problem, "field": down[0].name}
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics")
async def scrape(request: Request, studio: StudioDep) -> Response:
    """Prometheus text; with FVS_METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    token = studio.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise MetricsUnauthorized(
                "send the metrics token as `Authorization: Bearer <FVS_METRICS_TOKEN>`",
                field="Authorization",
            )
    text = await to_thread.run_sync(exposition, studio)
    return PlainTextResponse(text, media_type=CONTENT_TYPE_LATEST)


def exposition(studio: Studio) -> bytes:
    """This process's (or, multiprocess, this machine's) metrics and the database gauges."""
    own = CollectorRegistry(auto_describe=True)
    own.register(StudioCollector(studio))
    return generate_latest(metrics.local_registry()) + generate_latest(own)
