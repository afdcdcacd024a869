"""GET /docs/agent(.md), /llms.txt, /.well-known/agent-card.json and /.well-known/mcp/server.json.

All public (no key): they are how an agent finds out how to get one. Each is built on
the studio's public origin, so its links and examples work as written. Without
FVS_PUBLIC_BASE_URL that origin is the request's Host, so nothing here says a shared
cache may keep them: one client's Host must not become another's links.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from fvs.agents import cards, reference
from fvs.config import Settings
from fvs.deps import BaseUrlDep, StudioDep
from fvs.renders import docs
from fvs.web import templates

router = APIRouter(tags=["discovery"])
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


class MarkdownResponse(PlainTextResponse):
    media_type = "text/markdown"


def _text(media_type: str, description: str, example: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {media_type: {"example": example}}}}


def _json_example(description: str, example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return _text("application/json", description, example)


@router.get(
    reference.PAGE_PATH,
    summary="The agent API page",
    description="Authentication, payload, examples, fields, modes and errors, for people.",
    response_class=HTMLResponse,
)
def agent_page(request: Request, studio: StudioDep, origin: BaseUrlDep) -> Response:
    # markdown-it escaped every text it was given (html=False).
    body = Markup(_pages(request, origin, studio.settings)[1])
    return templates.page(request, "agent_docs.html", {"body": body})


@router.get(
    reference.MARKDOWN_PATH,
    summary="The agent API page as Markdown",
    description="The same page for agents; the MCP resource fvs://agent-api/reference too.",
    response_class=MarkdownResponse,
    responses=_text("text/markdown", "The page.", "# Future Video Studio: the agent API\n..."),
)
def agent_page_markdown(request: Request, studio: StudioDep, origin: BaseUrlDep) -> Response:
    text = _pages(request, origin, studio.settings)[0]
    return MarkdownResponse(text)


@router.get(
    "/llms.txt",
    summary="llms.txt: where an agent starts",
    description="The llmstxt.org index: the agent API page, OpenAPI, MCP and the agent card.",
    response_class=PlainTextResponse,
    responses=_text("text/plain", "The index.", cards.llms_txt(docs.BASE)),
)
def llms_txt(origin: BaseUrlDep) -> Response:
    return PlainTextResponse(cards.llms_txt(origin))


def _json(body: dict[str, Any]) -> JSONResponse:
    # Read by agents and registries on other origins.
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


@router.get(
    reference.AGENT_CARD_PATH,
    summary="The A2A agent card",
    description="Skills, the X-FVS-Agent-Key security scheme, documentation and MCP URLs.",
    responses=_json_example("The agent card.", cards.agent_card(docs.BASE)),
)
def agent_card(origin: BaseUrlDep) -> JSONResponse:
    return _json(cards.agent_card(origin))


@router.get(
    reference.MCP_MANIFEST_PATH,
    summary="The MCP server manifest",
    description="The MCP registry's server.json: the /mcp endpoint, its key header, stdio.",
    responses=_json_example("The manifest.", cards.mcp_server_manifest(docs.BASE)),
)
def mcp_server_manifest(origin: BaseUrlDep) -> JSONResponse:
    return _json(cards.mcp_server_manifest(origin))
