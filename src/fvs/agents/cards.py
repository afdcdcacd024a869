"""Machine-readable front doors: llms.txt, the A2A agent card and the MCP registry manifest.

Each names this studio's real origin (FVS_PUBLIC_BASE_URL, else the request's, as a
trusted proxy settled it), so an agent that finds one finds the others, the agent
API page and the MCP endpoint.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from fvs.agents.reference import (
    AGENT_CARD_PATH,
    MARKDOWN_PATH,
    MCP_MANIFEST_PATH,
    MCP_PATH,
    PAGE_PATH,
)
from fvs.keys.deps import KEY_HEADER

TITLE = "Future Video Studio"
SUMMARY = "Turns a screenplay into a finished MP4: planned shots, keyframes, clips, one cut."
# The PyPI distribution (the import name and command stay `fvs`).
DISTRIBUTION = "future-video-studio"
MCP_SERVER_NAME = "io.github.future-video-studio/fvs"
MCP_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
REPOSITORY = "https://github.com/future-video-studio/fvs"
# The MCP revision the /mcp endpoint speaks (streamable HTTP).
MCP_PROTOCOL_VERSION = "2025-11-25"


def studio_version() -> str:
    """The installed studio's version, whichever distribution name installed it."""
    for name in (DISTRIBUTION, "fvs"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "0.1.0"


def llms_txt(origin: str) -> str:
    """The llmstxt.org index: a title, a summary, and links an agent should read first."""
    return f"""# {TITLE}

> {SUMMARY} Agents submit renders over an HTTP API (key in the `{KEY_HEADER}` header) or
> over MCP, and poll until a signed video URL is ready.

Keys are created on the studio's settings page ({origin}/settings). Every render is billed
in credits to the wallet of the account that owns the key.

## Docs

- [Agent API]({origin}{MARKDOWN_PATH}): authentication, the reference payload, the
  response, Python and JavaScript examples, every field, mode and error code
- [Agent API (HTML)]({origin}{PAGE_PATH}): the same page for people
- [OpenAPI]({origin}/openapi.json): the schema, with an example for every route

## Agents

- [MCP endpoint]({origin}{MCP_PATH}): streamable HTTP; send the key as `{KEY_HEADER}`
- [MCP server manifest]({origin}{MCP_MANIFEST_PATH}): the registry's server.json
- [A2A agent card]({origin}{AGENT_CARD_PATH}): skills and the key's security scheme

## Optional

- [Swagger UI]({origin}/docs): the OpenAPI schema, browsable
"""


def _skill(skill_id: str, name: str, description: str, examples: list[str]) -> dict[str, Any]:
    return {
        "id": skill_id,
        "name": name,
        "description": description,
        "tags": ["video", "render"],
        "examples": examples,
        "inputModes": ["application/json"],
        "outputModes": ["application/json"],
    }


SKILLS = [
    _skill(
        "create_render",
        "Create a render",
        "Submit a screenplay and instructions (POST /api/agent/renders, or the MCP tool "
        "submit_render); the studio plans shots, paints keyframes, films clips and cuts "
        "an MP4, billed to the key's wallet.",
        ["Render a 24-second, three-shot scene of a woman walking into a glowing archive."],
    ),
    _skill(
        "check_render",
        "Check a render",
        "A render's status, progress, shots and, once completed, its signed video URL "
        "(GET /api/agent/renders/{project_id}, or the MCP tool get_render).",
        ["Is render proj_api_33e9410819a7fdc1 finished? Give me the video link."],
    ),
    _skill(
        "cancel_render",
        "Cancel a render",
        "Stop a queued or running render and return its unspent credits "
        "(POST /api/agent/renders/{project_id}/cancel, or the MCP tool cancel_render).",
        ["Cancel render proj_api_33e9410819a7fdc1."],
    ),
]


def agent_card(origin: str) -> dict[str, Any]:
    """The A2A agent card (protocol 1.0, JSON names as the a2a-sdk's AgentCard parses them)."""
    scheme = {
        "apiKeySecurityScheme": {
            "location": "header",
            "name": KEY_HEADER,
            "description": f"A managed agent key from {origin}/settings.",
        }
    }
    return {
        "name": TITLE,
        "description": f"{SUMMARY} Docs: {origin}{MARKDOWN_PATH}",
        "version": studio_version(),
        "provider": {"organization": TITLE, "url": origin},
        "documentationUrl": f"{origin}{PAGE_PATH}",
        # The studio speaks MCP and its own HTTP API, not A2A's JSON-RPC: each interface
        # names its binding, as the card's open binding field allows.
        "supportedInterfaces": [
            {
                "url": f"{origin}{MCP_PATH}",
                "protocolBinding": "MCP",
                "protocolVersion": MCP_PROTOCOL_VERSION,
            },
            {
                "url": f"{origin}/api/agent",
                "protocolBinding": "HTTP+JSON/fvs-agent-api",
                "protocolVersion": studio_version(),
            },
        ],
        "capabilities": {"streaming": False, "pushNotifications": False},
        "securitySchemes": {"agentKey": scheme},
        "securityRequirements": [{"schemes": {"agentKey": {}}}],  # no scopes: a key is a key
        "defaultInputModes": ["application/json", "multipart/form-data"],
        "defaultOutputModes": ["application/json", "video/mp4"],
        "skills": SKILLS,
    }


def _key_description(origin: str) -> str:
    return f"A managed agent key, created on {origin}/settings."


def mcp_server_manifest(origin: str) -> dict[str, Any]:
    """The MCP registry's server.json: the remote endpoint with its key header, and stdio."""
    version = studio_version()
    return {
        "$schema": MCP_SCHEMA,
        "name": MCP_SERVER_NAME,
        "title": TITLE,
        "description": "Screenplay in, MP4 out: submit, watch, approve and cancel video renders.",
        "version": version,
        "websiteUrl": f"{origin}{PAGE_PATH}",
        "repository": {"url": REPOSITORY, "source": "github"},
        "remotes": [
            {
                "type": "streamable-http",
                "url": f"{origin}{MCP_PATH}",
                "headers": [
                    {
                        "name": KEY_HEADER,
                        "description": _key_description(origin),
                        "isRequired": True,
                        "isSecret": True,
                    }
                ],
            }
        ],
        "packages": [
            {
                "registryType": "pypi",
                "registryBaseUrl": "https://pypi.org",
                "identifier": DISTRIBUTION,
                "version": version,
                # The installed command is `fvs`; `fvs mcp` serves MCP over stdio.
                "packageArguments": [{"type": "positional", "value": "mcp"}],
                "transport": {"type": "stdio"},
                "environmentVariables": [
                    {
                        "name": "FVS_AGENT_KEY",
                        "description": _key_description(origin),
                        "isRequired": True,
                        "isSecret": True,
                    },
                    {
                        "name": "FVS_BASE_URL",
                        "description": "The studio to talk to.",
                        "isRequired": False,
                        "isSecret": False,
                        "default": origin,
                    },
                ],
            }
        ],
    }
