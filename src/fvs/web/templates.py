"""The studio's one Jinja2 environment and the page response every route renders with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.filters["unsigned"] = lambda url: (url or "").split("?")[0]


def page(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """A rendered page; never cached, since pages show keys, wallets and signed links."""
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
