"""The agent API page, as Markdown: what /docs/agent, /docs/agent.md and the MCP resource serve.

Everything that could drift is generated: the field tables from the request models,
the error codes from the domain error classes, the routes from the API's routers, the
upload parts from the OpenAPI body, the examples from the studio's reference request.
The Python and JavaScript examples are the seed document's, pointed at this studio's
origin; the tests run them, as served, against a live server.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from fastapi.routing import APIRoute

from fvs.agents import fields
from fvs.agents.error_codes import error_codes
from fvs.billing.endpoints import router as wallet_router
from fvs.config import Settings
from fvs.providers.endpoints import router as models_router
from fvs.renders import docs, idempotency
from fvs.renders.endpoints import router as renders_router
from fvs.renders.schemas import (
    AssetRequest,
    ProjectMode,
    RenderRequest,
    RenderStatus,
    ShotRequest,
)

# Where the examples' key goes: the seed document's own placeholder.
KEY_PLACEHOLDER = "replace-with-your-managed-key"
MCP_PATH = "/mcp"
AGENT_CARD_PATH = "/.well-known/agent-card.json"
MCP_MANIFEST_PATH = "/.well-known/mcp/server.json"
PAGE_PATH = "/docs/agent"
MARKDOWN_PATH = "/docs/agent.md"
API_ROUTERS = (renders_router, wallet_router, models_router)

MODES: dict[str, str] = {
    "scene": (
        "The planner reads `screenplay` and `instructions` and plans `shot_count` shots "
        "whose durations (from the video model's allowed set) sum to about "
        "`scene_target_duration_seconds`. Then storyboarding paints a keyframe per shot, "
        "filming animates each keyframe, and production cuts the final MP4."
    ),
    "custom": (
        "You write the shots: `shots` is a list of `{prompt, duration_seconds, camera?, "
        "assets?, dialogue?}`. No planner call and no planning charge; each "
        "`duration_seconds` must be one the video model allows."
    ),
    "music": (
        "The film is cut on the beats of a soundtrack: an `audio` part (or a file whose "
        "`assets` entry has `purpose: soundtrack`), else a track the studio composes from "
        "`lyrics`, `instructions` or the screenplay with `music_model`. The film lasts as "
        "long as the track; `clip_audio` says what happens to the clips' own sound."
    ),
}


def _json_block(value: Any) -> str:
    return f"```json\n{json.dumps(value, indent=2)}\n```"


def _with_origin(value: Any, origin: str) -> Any:
    """An example body whose links name this studio instead of the docs' placeholder host."""
    return json.loads(json.dumps(value).replace(docs.BASE, origin))


def python_example(origin: str) -> str:
    """The seed document's Python example (its indentation restored), for this studio."""
    payload = {
        key: docs.RENDER_REQUEST_EXAMPLE[key] for key in ("name", "project_mode", "screenplay")
    }
    payload |= {
        "instructions": "Create exactly three cinematic shots totaling about 24 seconds.",
        "shot_count": 3,
        "scene_target_duration_seconds": 24,
        "video_model": "veo-3.1-fast-generate-001",
        "video_resolution": "720p",
    }
    lines = [f"    {json.dumps(k)}: {json.dumps(v)}," for k, v in payload.items()]
    lines.append('    "stage_voice_briefs_enabled": False,')
    body = "\n".join(lines)
    return f'''import json
import requests

BASE_URL = "{origin}"
AGENT_KEY = "{KEY_PLACEHOLDER}"

request_payload = {{
{body}
}}

response = requests.post(
    f"{{BASE_URL}}/api/agent/renders",
    headers={{"X-FVS-Agent-Key": AGENT_KEY}},
    files={{"request_json": (None, json.dumps(request_payload))}},
    timeout=300,
)
response.raise_for_status()
job = response.json()

while True:
    status_response = requests.get(
        job["status_url"], headers={{"X-FVS-Agent-Key": AGENT_KEY}}, timeout=120
    )
    status_response.raise_for_status()
    status = status_response.json()
    if status["status"] == "completed":
        print("Video ready:", status["final_video_url"])
        break
    if status["status"] == "failed":
        raise RuntimeError(status.get("last_error") or "Render failed")
'''


def javascript_example(origin: str) -> str:
    """The seed document's JavaScript example (an ES module: top-level await), for this studio."""
    return f"""const form = new FormData();
form.append("request_json", JSON.stringify({{
  name: "Archive corridor test",
  project_mode: "scene",
  screenplay: "Three-shot cinematic archive corridor sequence.",
  instructions: "Keep the lead visually consistent and total runtime near 24 seconds.",
  shot_count: 3,
  scene_target_duration_seconds: 24,
  video_model: "veo-3.1-fast-generate-001",
  video_resolution: "720p"
}}));

const submit = await fetch("{origin}/api/agent/renders", {{
  method: "POST",
  headers: {{
    "X-FVS-Agent-Key": "{KEY_PLACEHOLDER}"
  }},
  body: form
}});
const job = await submit.json();

const status = await fetch(job.status_url, {{
  headers: {{
    "X-FVS-Agent-Key": "{KEY_PLACEHOLDER}"
  }}
}}).then((res) => res.json());
"""


def _intro(origin: str) -> str:
    return f"""# Future Video Studio: the agent API

Submit a screenplay, poll its status, fetch the video. This studio's origin is
`{origin}`; every path below is relative to it. The same API is described as OpenAPI
at [{origin}/openapi.json]({origin}/openapi.json) (browsable at [/docs]({origin}/docs)),
and served to MCP clients at `{origin}{MCP_PATH}` (streamable HTTP, same key).

## Authentication and billing

Keys belong to user accounts. Create a managed agent key on the studio's settings page
([{origin}/settings]({origin}/settings)), and send it as `X-FVS-Agent-Key` on every request.

- A missing, malformed, unknown, revoked or expired key gets 401 `unauthorized`.
- When model or resolution fields are omitted, the API uses the defaults saved on the
  key's account.
- Credits are reserved (held) against that account's wallet when a render is accepted and
  settled stage by stage; a render the wallet cannot cover is refused with 402 before
  anything is created. `GET /api/agent/wallet` shows the balance.
- Renders belong to the key's account: another account's render is 404, never 403.
"""


def _payload_and_response(origin: str) -> str:
    return f"""## Reference payload

A complete request can be just one multipart POST to `/api/agent/renders`, with the
request JSON in the text field `request_json`:

{_json_block(docs.RENDER_REQUEST_EXAMPLE)}

The same JSON may instead be sent as an `application/json` body.

## Response

The submit answers 202 with the render's status (200 when it completed within
`wait_for_completion_seconds`). Polling `status_url` returns the same shape; a completed
render looks like this:

{_json_block(_with_origin(docs.COMPLETED_EXAMPLE, origin))}

The first twelve fields are the seed document's; the rest are this studio's additions.
`final_video_url` and every media URL are signed and expire: poll again for fresh ones.

{fields.response_table(RenderStatus)}
"""


def _examples(origin: str) -> str:
    return f"""## Examples

Use the studio's public origin and poll until a signed video URL is ready. Replace
`{KEY_PLACEHOLDER}` with your key.

### Python

```python
{python_example(origin)}```

### JavaScript

An ES module (Node 18+ as `example.mjs`, or a browser module):

```javascript
{javascript_example(origin)}```
"""


def _fields() -> str:
    return f"""## Request fields

Every field is optional but where marked; unknown fields are refused (422 naming them).
Omitted fields marked *account default* take the key's account's saved defaults, then
the studio's.

{fields.field_table(RenderRequest)}

### Asset fields

Each entry of `assets` describes one uploaded file part, matched by file name.

{fields.field_table(AssetRequest)}

### Shot fields

Each entry of `shots` (custom mode) is one shot to film.

{fields.field_table(ShotRequest)}
"""


def _upload_parts(settings: Settings) -> str:
    multipart = docs.render_request_body()["requestBody"]["content"]["multipart/form-data"]
    parts = multipart["schema"]["properties"]
    rows = ["| part | what it is |", "|---|---|"]
    rows += [f"| `{name}` | {part['description']} |" for name, part in parts.items()]
    others = multipart["schema"]["additionalProperties"]["description"]
    rows.append(f"| any other name | {others} |")
    table = "\n".join(rows)
    return f"""## Files

A multipart submit may carry files beside `request_json`: up to {settings.max_uploads}
files of at most {settings.max_upload_bytes // (1024 * 1024)} MiB each, and a
`request_json` of at most {settings.max_request_json_bytes // 1024} KiB.

{table}
"""


def _modes() -> str:
    items = "\n".join(f"- **`{mode}`**: {MODES[mode]}" for mode in get_args(ProjectMode))
    return f"""## Modes

`project_mode` picks how the studio turns the request into shots.

{items}

`stage_behaviour: halt_for_review` (any mode) stops after storyboarding with
`needs_approval: true`; look at the keyframes, repaint any with
`POST /api/agent/renders/{{project_id}}/shots/{{number}}/regenerate`, then
`POST approve_url` to film. `POST /api/agent/renders/estimate` quotes any request
without creating or charging anything.
"""


def _routes() -> str:
    rows = ["| method | path | what it does |", "|---|---|---|"]
    for router in API_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods or ()):
                    rows.append(f"| `{method}` | `{route.path}` | {route.summary} |")
    table = "\n".join(rows)
    return f"""## Routes

All need `X-FVS-Agent-Key`.

{table}
"""


def _advice(settings: Settings) -> str:
    interval = settings.status_min_interval_ms
    return f"""## Waiting, retrying and polling

- **`wait_for_completion_seconds`**: the submit holds its answer open up to this long
  (this studio caps it at {settings.max_wait_seconds} s) and answers 200 with the finished
  render if it completes in time, else 202 with the running one. Use it for short renders
  when a single call is simplest; keep it below your HTTP client's timeout (the examples
  use 300 s). With 0 (the default) the submit answers at once.
- **`{idempotency.HEADER}`**: send a unique value (a UUID) with each submit and reuse it
  when you retry after a timeout or a dropped connection. The same key with the same body
  within {int(idempotency.KEEP_FOR.total_seconds() // 3600)} hours replays the first answer
  (header `Idempotent-Replayed: true`) instead of making, and charging for, a second
  render; with a different body it is 422, and while the first is still being accepted it
  is 409 `idempotency_key_in_use`. Keys are per account, 1-255 printable characters.
- **Polling**: poll `status_url` every 2-5 seconds (a render takes from seconds on the
  local models to minutes on Veo). Stop at `completed`, `failed` or `cancelled`, or when
  `needs_approval` is true. Polls of one render faster than every {interval} ms are paced:
  the answer simply waits, it is never refused. `progress` runs from 0 to 1.
- **Retries**: 503 `service_busy` and 409 `idempotency_key_in_use` are safe to retry after
  a pause; 4xx validation errors are not (fix the field named in `field`). A lost
  `project_id` can be found again with `GET /api/agent/renders`, newest first.
"""


def _errors() -> str:
    rows = ["| status | code | when |", "|---|---|---|"]
    rows += [f"| {e.status} | `{e.code}` | {e.when} |" for e in error_codes()]
    table = "\n".join(rows)
    example = {
        "error": {
            "code": "invalid_request",
            "message": "Input should be less than or equal to 64",
            "field": "shot_count",
        }
    }
    return f"""## Errors

Every error has one shape: a stable `code` for programs, a `message` for people, and the
`field` (request field, header or part) at fault, or null. When a request has several
problems, `details` lists each `{{field, message}}`. Some errors add facts of their own
(402 adds `needed` and `available`).

{_json_block(example)}

{table}
"""


def _other_surfaces(origin: str) -> str:
    return f"""## Other ways in

- **MCP**: `{origin}{MCP_PATH}`, streamable HTTP, authenticated by `X-FVS-Agent-Key` (or
  `Authorization: Bearer <key>`). Its manifest is at
  [{origin}{MCP_MANIFEST_PATH}]({origin}{MCP_MANIFEST_PATH}); locally, `fvs mcp` serves
  the same tools over stdio with `FVS_AGENT_KEY` and `FVS_BASE_URL`.
- **A2A agent card**: [{origin}{AGENT_CARD_PATH}]({origin}{AGENT_CARD_PATH}).
- **OpenAPI**: [{origin}/openapi.json]({origin}/openapi.json), with an example request and
  response for every route.
- **This page** as Markdown: [{origin}{MARKDOWN_PATH}]({origin}{MARKDOWN_PATH}); the index
  for language models: [{origin}/llms.txt]({origin}/llms.txt).
"""


def reference_markdown(origin: str, *, settings: Settings | None = None) -> str:
    """The whole agent API page in Markdown, its links and examples on this origin.

    settings gives the studio's real limits (wait cap, upload sizes, poll pacing); without
    it the defaults are shown.
    """
    origin = origin.rstrip("/")
    settings = settings or Settings.model_construct()
    sections = [
        _intro(origin),
        _payload_and_response(origin),
        _examples(origin),
        _fields(),
        _upload_parts(settings),
        _modes(),
        _routes(),
        _advice(settings),
        _errors(),
        _other_surfaces(origin),
    ]
    return "\n".join(sections)
