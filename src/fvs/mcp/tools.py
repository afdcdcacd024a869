"""The studio's MCP tools and resource, defined once over a Backend."""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ParamSpec

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field, WithJsonSchema

from fvs.mcp import progress
from fvs.mcp.backend import ApiError, Backend, FileIn
from fvs.mcp.remote import RemoteBackend
from fvs.renders.schemas import RenderRequest

REFERENCE_URI = "fvs://agent-api/reference"
SCOPE_KEY = "fvs.mcp.backend"
MAX_WAIT_SECONDS = 900
INSTRUCTIONS = (
    "Future Video Studio turns a screenplay into an MP4. Start from example_render_request, "
    "check the cost with estimate_render, then submit_render with wait_seconds (the render "
    "reports progress per stage and shot while it waits). Poll get_render until status is "
    "completed, failed or cancelled, or needs_approval is true (then approve_render). "
    f"The whole API, every field and error code, is the resource {REFERENCE_URI}."
)
_backend: ContextVar[Backend] = ContextVar("fvs_mcp_backend")
P = ParamSpec("P")


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its $defs inlined, so it nests inside a tool's schema."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


# The schema is RenderRequest's own; the studio parses the body exactly as the API does,
# so a bad field is the API's invalid_request naming it, not a schema mismatch.
RequestArg = Annotated[
    dict[str, Any],
    WithJsonSchema(_inline_refs(RenderRequest.model_json_schema())),
    Field(description="The render request, exactly the agent API's RenderRequest body."),
]
ProjectId = Annotated[str, Field(description="The render's project_id, as submit_render gave it.")]


class LocalFile(BaseModel):
    """A file on this machine, sent as an upload part."""

    path: str = Field(description="Path of a local file (image, audio, PDF or UTF-8 text).")
    part: str = Field(
        default="files",
        description="Upload part name: reference_image, audio, script, or files (any kind).",
    )


class InlineFile(BaseModel):
    """A file's bytes inline, sent as an upload part."""

    filename: str = Field(description="The name request.assets[].filename refers to.")
    content_base64: str = Field(description="The file's bytes, base64-encoded.")
    part: str = Field(
        default="files",
        description="Upload part name: reference_image, audio, script, or files (any kind).",
    )


class RefusedByApi(ToolError):
    """A tool's refusal, carrying the API's {"error": {code, message, field}} body."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.body = body


def _tool_error(exc: ApiError) -> RefusedByApi:
    return RefusedByApi(exc.body)


def answers_api_errors(fn: Callable[P, Awaitable[dict[str, Any]]]) -> Callable[P, Awaitable[Any]]:
    """The tool's refusals as an error result whose text is exactly the API's error JSON."""

    @functools.wraps(fn)
    async def tool(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return await fn(*args, **kwargs)
        except RefusedByApi as refused:
            text = TextContent(type="text", text=json.dumps(refused.body))
            return CallToolResult(content=[text], structured_content=refused.body, is_error=True)

    return tool


def backend() -> Backend:
    return _backend.get()


class BindBackend:
    """MCP middleware: the backend for this message, fixed (stdio) or from the HTTP request."""

    def __init__(self, fixed: Backend | None) -> None:
        self.fixed = fixed

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        found = self.fixed
        request = getattr(ctx, "request", None)
        if found is None and request is not None:
            found = request.scope.get(SCOPE_KEY)
        if found is None:
            return await call_next(ctx)
        token = _backend.set(found)
        try:
            return await call_next(ctx)
        finally:
            _backend.reset(token)


async def _call(method: str, *args: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await getattr(backend(), method)(*args)
    except ApiError as exc:
        raise _tool_error(exc) from None
    return result


def example_request() -> dict[str, Any]:
    """The studio's reference request: three shots, 24 seconds."""
    text = resources.files("fvs").joinpath("reference_request.json").read_text()
    body: dict[str, Any] = json.loads(text)
    return body


async def submit_and_wait(
    request: dict[str, Any], files: list[FileIn], wait_seconds: float, ctx: Context
) -> dict[str, Any]:
    """Submit, then wait up to wait_seconds, reporting progress when the client asked for it."""
    request = dict(request)
    wait = wait_seconds
    asked = request.get("wait_for_completion_seconds")
    # The tool waits itself, so it can report progress; the API is asked not to. A value
    # the API would refuse is left for it to refuse, naming the field.
    if isinstance(asked, int | float) and not isinstance(asked, bool) and asked >= 0:
        request["wait_for_completion_seconds"] = 0
        wait = max(wait, float(asked))
    wait = min(wait, MAX_WAIT_SECONDS)
    status = await _call("submit", request, files)
    if wait <= 0 or progress.settled(status):
        return status
    snapshots = progress.follow(backend(), status["project_id"], status)
    try:
        async with aclosing(snapshots):
            last = await progress.watch(snapshots, seconds=wait, report=ctx.report_progress)
    except ApiError as exc:
        raise _tool_error(exc) from None
    return last or status


SUBMIT_DESCRIPTION = (
    "Submit a render: validate the request, hold its estimated credits and queue it. "
    "`request` is the agent API's RenderRequest (start from example_render_request; "
    "screenplay and shot_count are the essentials). `files` are reference files that "
    "request.assets[].filename names. `wait_seconds` (0-{most}) waits for the render to "
    "finish or halt for review; when you send a progress token, progress arrives per stage "
    "and per shot while it waits. Answers the render's status: poll get_render with its "
    "project_id until status is completed, failed or cancelled. Errors are the API's JSON "
    '{{"error": {{"code", "message", "field"}}}}: insufficient_credits (402) means top up; '
    "invalid_request (422) names the field to fix."
)


def _register_submit_stdio(server: MCPServer) -> None:
    async def submit_render(
        request: RequestArg,
        ctx: Context,
        files: list[LocalFile] | None = None,
        wait_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    ) -> dict[str, Any]:
        return await submit_and_wait(
            request, [_read_local(f) for f in files or ()], wait_seconds, ctx
        )

    server.add_tool(
        answers_api_errors(submit_render),
        name="submit_render",
        description=SUBMIT_DESCRIPTION.format(most=MAX_WAIT_SECONDS)
        + " Files are paths on this machine; each is sent as an upload part.",
    )


def _read_local(file: LocalFile) -> FileIn:
    path = Path(file.path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        body = {
            "error": {
                "code": "invalid_request",
                "message": f"cannot read {path}: {exc.strerror}",
                "field": "files",
            }
        }
        raise ToolError(json.dumps(body)) from None
    return FileIn(part=file.part, filename=path.name, data=data)


def _register_submit_http(server: MCPServer, inline_cap: int) -> None:
    async def submit_render(
        request: RequestArg,
        ctx: Context,
        files: list[InlineFile] | None = None,
        wait_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS)] = 0,
    ) -> dict[str, Any]:
        decoded = [_decode_inline(f, index, inline_cap) for index, f in enumerate(files or ())]
        return await submit_and_wait(request, decoded, wait_seconds, ctx)

    server.add_tool(
        answers_api_errors(submit_render),
        name="submit_render",
        description=SUBMIT_DESCRIPTION.format(most=MAX_WAIT_SECONDS)
        + f" Files are inline: content_base64, at most {inline_cap} bytes each once decoded "
        "(larger files: the JSON API's multipart submit, or `fvs mcp` over stdio).",
    )


def _decode_inline(file: InlineFile, index: int, cap: int) -> FileIn:
    field = f"files[{index}].content_base64"
    try:
        data = base64.b64decode(file.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(field, "not valid base64") from None
    if len(data) > cap:
        raise _invalid(field, f"the decoded file is larger than {cap} bytes")
    return FileIn(part=file.part, filename=file.filename, data=data)


def _invalid(field: str, message: str) -> RefusedByApi:
    return RefusedByApi({"error": {"code": "invalid_request", "message": message, "field": field}})


async def get_render(project_id: ProjectId) -> dict[str, Any]:
    """A render's status: status, current_stage, progress (0-1), shots, final_video_url.

    Poll until status is completed, failed or cancelled, or needs_approval is true. Media
    URLs are signed and expire; call again for fresh ones. Another account's id is not_found.
    """
    return await _call("status", project_id)


async def cancel_render(project_id: ProjectId) -> dict[str, Any]:
    """Cancel a queued or running render; its unused held credits return to the wallet.

    Cancelling a cancelled render answers its status again; a completed or failed one is a
    conflict error.
    """
    return await _call("cancel", project_id)


async def approve_render(project_id: ProjectId) -> dict[str, Any]:
    """Approve a storyboard halted for review (needs_approval: true); filming goes on.

    Only for renders submitted with stage_behaviour "halt_for_review"; otherwise a conflict.
    """
    return await _call("approve", project_id)


async def regenerate_shot(
    project_id: ProjectId,
    shot_number: Annotated[int, Field(ge=1, description="The shot's 1-based `number`.")],
) -> dict[str, Any]:
    """Paint a new take of one shot's keyframe while the storyboard is halted for review.

    Charged as one image. Then look at the shot's keyframe_url and approve_render when happy.
    """
    return await _call("regenerate", project_id, shot_number)


async def estimate_render(request: RequestArg) -> dict[str, Any]:
    """Quote a request without creating or charging anything.

    Answers credits_estimated with a per-stage breakdown, planned_durations, the settings the
    request resolves to, available_credits and whether the wallet can afford it.
    """
    return await _call("estimate", request)


async def get_wallet() -> dict[str, Any]:
    """The account's credits: available_credits (what a new render can hold), held, balance."""
    return await _call("wallet")


async def list_models() -> dict[str, Any]:
    """The model registry: each model's role, durations, resolutions, prices and runs_on.

    Use the ids (or aliases) in video_model, image_model, planner_model, tts_model,
    music_model; also lists the visual_style_preset values.
    """
    return await _call("models")


async def example_render_request() -> dict[str, Any]:
    """A complete request to adapt: change screenplay, instructions and shot_count.

    Pass it as submit_render's (or estimate_render's) `request`.
    """
    return example_request()


def _register_download(server: MCPServer, remote: RemoteBackend) -> None:
    async def download_final_video(
        project_id: ProjectId,
        path: Annotated[str, Field(description="Where to write the MP4 on this machine.")],
    ) -> dict[str, Any]:
        """Write a completed render's final MP4 to a local path; answers the path and size."""
        try:
            status = await remote.status(project_id)
            url = status.get("final_video_url")
            if status["status"] != "completed" or not url:
                raise ApiError(409, _not_ready(project_id, status["status"]))
            target = Path(path).expanduser().resolve()
            target.parent.mkdir(parents=True, exist_ok=True)
            size = await remote.download(url, target)
        except ApiError as exc:
            raise _tool_error(exc) from None
        return {"project_id": project_id, "path": str(target), "size_bytes": size}

    server.add_tool(answers_api_errors(download_final_video), name="download_final_video")


def _not_ready(project_id: str, status: str) -> dict[str, Any]:
    message = f"render {project_id} is {status}; only a completed render has a final video"
    return {"error": {"code": "conflict", "message": message, "field": "project_id"}}


async def agent_api_reference() -> str:
    """The agent API page: authentication, every field, mode and error code, examples."""
    return await backend().reference()


def build_server(
    *,
    fixed: Backend | None = None,
    inline_cap: int | None = None,
    remote: RemoteBackend | None = None,
) -> MCPServer:
    """The studio's MCP server: fixed backend and local paths (stdio), else inline files (HTTP)."""
    server = _without_touching_logging(fixed)
    if remote is not None:
        _register_submit_stdio(server)
        _register_download(server, remote)
    else:
        _register_submit_http(server, inline_cap or 0)
    for tool in (
        get_render,
        cancel_render,
        approve_render,
        regenerate_shot,
        estimate_render,
        get_wallet,
        list_models,
        example_render_request,
    ):
        server.add_tool(answers_api_errors(tool))
    server.resource(REFERENCE_URI, name="agent-api-reference", mime_type="text/markdown")(
        agent_api_reference
    )
    return server


def _without_touching_logging(fixed: Backend | None) -> MCPServer:
    """The SDK's server; it configures root logging when built, so the studio's is restored."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return MCPServer(
            "future-video-studio",
            title="Future Video Studio",
            instructions=INSTRUCTIONS,
            middleware=[BindBackend(fixed)],
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
