"""The front door: a landing page for people, a short JSON description for programs, a favicon.

Unknown pages get an HTML 404 in the studio's style (see `not_found_page`, used by
app.py's error handler for browsers); JSON clients keep the JSON error.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from fvs.web import templates

router = APIRouter(include_in_schema=False)
ABOUT = {
    "name": "Future Video Studio",
    "status": "ok",
    "agent_api": "/api/agent/renders",
    "docs": "/docs",
}


def wants_html(request: Request) -> bool:
    """True for a browser (Accept names text/html before any JSON); programs get JSON."""
    accept = request.headers.get("accept", "").lower()
    if "text/html" not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find("text/html") < json_at


@router.get("/")
def home(request: Request) -> Response:
    if not wants_html(request):
        return JSONResponse(ABOUT)
    return templates.page(request, "home.html", {})


@router.get("/favicon.ico")
def favicon() -> Response:
    icon = resources.files("fvs.web").joinpath("static/favicon.svg").read_bytes()
    return Response(
        icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def not_found_page(request: Request) -> Response:
    """The studio's 404 page for a browser that asked for a page we do not have."""
    return templates.page(request, "not_found.html", {"path": request.url.path}, status=404)
