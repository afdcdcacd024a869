"""GET /docs/agent(.md), /llms.txt, /.well-known/agent-card.json and /.well-known/mcp/server.json.

All public (no key): they are how an agent finds out how to get one. Each is built on
the studio's public origin, so its links and examples work as written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from fvs.agents import cards, reference
from fvs.config import Settings
from fvs.deps import BaseUrlDep, StudioDep
from fvs.web import templates

router = APIRouter(include_in_schema=False)
# Public and the same for everyone at one origin; caches may keep them a while.
CACHE = {"Cache-Control": "public, max-age=300"}


# Origins whose page is kept per app: the public origin, or a few Host headers seen.
KEEP_ORIGINS = 16


def _pages(request: Request, origin: str, settings: Settings) -> tuple[str, str]:
    """The page as Markdown and as HTML, built once per origin (about 40 ms each time)."""
    state = request.app.state
    kept: dict[str, tuple[str, str]] = getattr(state, "agent_pages", None) or {}
    state.agent_pages = kept
    if origin not in kept:
        markdown = reference.reference_markdown(origin, settings=settings)
        # Raw HTML stays off: nothing on the page needs to bypass escaping, and the CSP
        # forbids inline style and script anyway.
        renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
        if len(kept) >= KEEP_ORIGINS:
            kept.clear()
        kept[origin] = (markdown, renderer.render(markdown))
    return kept[origin]


@router.get(reference.PAGE_PATH)
def agent_page(request: Request, studio: StudioDep, origin: BaseUrlDep) -> Response:
    # markdown-it escaped every text it was given (html=False).
    body = Markup(_pages(request, origin, studio.settings)[1])
    response = templates.page(request, "agent_docs.html", {"body": body})
    response.headers.update(CACHE)
    return response


@router.get(reference.MARKDOWN_PATH)
def agent_page_markdown(request: Request, studio: StudioDep, origin: BaseUrlDep) -> Response:
    text = _pages(request, origin, studio.settings)[0]
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8", headers=CACHE)


@router.get("/llms.txt")
def llms_txt(origin: BaseUrlDep) -> Response:
    return PlainTextResponse(cards.llms_txt(origin), headers=CACHE)


def _json(body: dict[str, Any]) -> JSONResponse:
    # Read by agents and registries on other origins.
    return JSONResponse(body, headers={**CACHE, "Access-Control-Allow-Origin": "*"})


@router.get(reference.AGENT_CARD_PATH)
def agent_card(origin: BaseUrlDep) -> JSONResponse:
    return _json(cards.agent_card(origin))


@router.get(reference.MCP_MANIFEST_PATH)
def mcp_server_manifest(origin: BaseUrlDep) -> JSONResponse:
    return _json(cards.mcp_server_manifest(origin))
