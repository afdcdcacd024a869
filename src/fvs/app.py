"""create_app(settings): routers, error handlers and the embedded executor's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.routing import Route

from fvs import migrate
from fvs.accounts.endpoints import router as account_api_router
from fvs.accounts.throttle import SignInGuard
from fvs.agents.endpoints import router as agent_docs_router
from fvs.agents.openapi import complete_agent_examples
from fvs.billing.endpoints import router as wallet_router
from fvs.config import Settings
from fvs.db import Database
from fvs.errors import AppError, ErrorResponse
from fvs.events import recorder
from fvs.events.endpoints import router as events_router
from fvs.events.feed import EventFeed
from fvs.jobs.executor import ThreadExecutor
from fvs.jobs.leader import HostLock, LeaderExecutor
from fvs.jobs.publisher import Publisher
from fvs.keys.endpoints import router as account_keys_router
from fvs.mcp.http import PATH as MCP_PATH
from fvs.mcp.http import McpEndpoint
from fvs.media import images
from fvs.models import WebhookEvent
from fvs.ops.body_limits import BodyLimits
from fvs.ops.endpoints import router as ops_router
from fvs.ops.request_ids import RequestIds
from fvs.pipeline import state, steps
from fvs.providers.endpoints import router as models_router
from fvs.providers.factory import Providers
from fvs.proxies import TrustedProxies
from fvs.renders import docs as agent_docs
from fvs.renders import idempotency
from fvs.renders import service as renders
from fvs.renders.endpoints import router as renders_router
from fvs.renders.schemas import RenderRequest
from fvs.storage.endpoints import router as media_router
from fvs.storage.factory import open_storage
from fvs.studio import Studio
from fvs.web.account_pages import router as account_pages_router
from fvs.web.endpoints import router as studio_pages_router
from fvs.web.home import not_found_page, wants_html
from fvs.web.home import router as home_router
from fvs.web.security_headers import SecurityHeaders
from fvs.web.webhook_pages import router as webhook_pages_router
from fvs.webhooks import delivery as webhook_delivery
from fvs.webhooks import outbox
from fvs.webhooks.endpoints import agent_router as agent_webhooks_router
from fvs.webhooks.endpoints import router as account_webhooks_router
from fvs.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)
# Swagger UI and ReDoc, served from the fastapi-offline package: /docs works offline.
DOCS_ASSETS = "/docs/assets"


def build_studio(settings: Settings) -> Studio:
    """Migrate (or check) the database and assemble what the API and the pipeline share."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    images.configure(settings.max_image_pixels)  # for the API's uploads and the pipeline's steps
    # Every state change below writes its webhook events in its own transaction.
    outbox.install(low_balance_credits=settings.webhook_low_balance_credits)
    storage = open_storage(settings)  # a malformed FVS_STORAGE_URL stops here, before migrating
    recorder.install()  # every change to a render writes its events in the same transaction
    if settings.auto_migrate:
        migrate.upgrade(settings.resolved_database_url)
    else:
        migrate.check(settings.resolved_database_url)
    return Studio(
        settings=settings,
        db=Database(settings.resolved_database_url),
        storage=storage,
        providers=Providers(settings),
    )


def sweep(studio: Studio) -> None:
    """Periodic housekeeping: overdue holds (failing their renders), old idempotency keys
    and old webhook events."""
    state.sweep_expired_holds(studio)
    studio.db.transact(idempotency.purge_expired)
    studio.db.transact(lambda s: webhook_delivery.purge_old(s, settings=studio.settings))


def start_executor(studio: Studio) -> ThreadExecutor:
    """Worker threads that run this studio's pipeline steps (in the server or `fvs worker`)."""
    executor = ThreadExecutor(
        db=studio.db,
        settings=studio.settings,
        run_job=lambda job: steps.run_job(studio, job),
        sweep=lambda: sweep(studio),
    )
    studio.wake = executor.wake
    executor.start()
    return executor


def start_publisher(studio: Studio) -> Publisher:
    """Publish each commit's jobs to the broker (FVS_EXECUTOR=celery); steps run elsewhere."""
    # Celery is imported only where it is configured.
    from fvs.jobs.celery_app import create_celery

    app = create_celery(studio.settings)
    publisher = Publisher(
        db=studio.db, settings=studio.settings, send=app.send_job, close=app.close
    )
    studio.wake = publisher.wake
    publisher.start()
    return publisher


def make_webhook_sender(studio: Studio) -> WebhookSender:
    """This studio's webhook sender, not yet started."""
    return WebhookSender(
        db=studio.db, settings=studio.settings, describe=lambda s, e: _webhook_data(studio, s, e)
    )


def start_webhook_sender(studio: Studio) -> WebhookSender:
    """Send this studio's webhooks from a thread; woken with the executor after each commit."""
    sender = make_webhook_sender(studio)
    wake_jobs = studio.wake

    def wake() -> None:
        wake_jobs()
        sender.wake()

    studio.wake = wake
    sender.start()
    return sender


def _webhook_data(studio: Studio, session: Session, event: WebhookEvent) -> dict[str, Any]:
    """A webhook's data: the render's status body, at the status and stage of its event."""
    if event.project_id is None:
        return dict(event.facts)
    settings = studio.settings
    data = renders.status_of(
        session,
        account_id=event.account_id,
        project_id=event.project_id,
        base_url=(settings.public_base_url or "").rstrip("/"),
        settings=settings,
        storage=studio.storage,
    ).model_dump(mode="json")
    data.update({k: event.facts[k] for k in ("status", "current_stage") if k in event.facts})
    return data


def create_app(settings: Settings | None = None, *, executor_lock: Path | None = None) -> FastAPI:
    """The whole studio as an ASGI app; the embedded executor runs in its lifespan.

    executor_lock: this is one of several processes of one `fvs serve --workers N`;
    only the one holding this file's lock runs the worker threads (fvs.jobs.leader).
    """
    settings = settings or Settings()
    mcp = McpEndpoint(settings)
    app = FastAPI(
        title="Future Video Studio",
        version="0.1.0",
        description=agent_docs.OVERVIEW,
        docs_url=None,  # _add_docs serves both from local assets
        redoc_url=None,
        lifespan=_lifespan(settings, mcp, executor_lock=executor_lock),
    )
    app.state.sign_in_guard = SignInGuard.from_settings(settings)
    _install_error_handlers(app)
    # Inside RequestIds, so a 413 carries its request id too.
    app.add_middleware(BodyLimits, settings=settings)
    app.add_middleware(RequestIds)
    app.add_middleware(SecurityHeaders)
    # Added last, so outermost: every other layer sees the settled client, scheme and host.
    app.add_middleware(TrustedProxies, networks=settings.trusted_proxy_networks)
    _add_routes(app)
    # The MCP endpoint answers /mcp itself (POST, and 405 for other methods).
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp, methods=["GET", "POST", "DELETE"]))
    _add_docs(app)
    return app


def _lifespan(
    settings: Settings, mcp: McpEndpoint, *, executor_lock: Path | None = None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Build the studio when the app starts, with its executor threads or its publisher."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        studio = build_studio(settings)
        app.state.studio = studio
        feed = EventFeed(studio.db, interval_seconds=settings.events_poll_ms / 1000)
        app.state.event_feed = feed
        executor: ThreadExecutor | Publisher | LeaderExecutor | None = None
        sender: WebhookSender | None = None
        if settings.executor == "threads" and executor_lock is not None:
            # One process of `fvs serve --workers N` runs the steps; every one sends
            # webhooks, which their leases keep from going out twice.
            lock = HostLock(executor_lock)
            executor = LeaderExecutor(lock, lambda: start_executor(studio)).start()
            sender = start_webhook_sender(studio)
        elif settings.executor == "threads":
            executor = start_executor(studio)
            sender = start_webhook_sender(studio)  # at scale, `fvs worker` sends them
        elif settings.executor == "celery":
            executor = start_publisher(studio)
        try:
            async with mcp.running():
                yield
        finally:
            await feed.close()
            if executor is not None:
                executor.stop()
            if sender is not None:
                sender.stop()
            studio.db.dispose()

    return lifespan


def _add_routes(app: FastAPI) -> None:
    """Every feature's router, the landing page and the static files."""
    app.include_router(renders_router)
    app.include_router(events_router)
    app.include_router(wallet_router)
    app.include_router(models_router)
    app.include_router(media_router)
    app.include_router(account_api_router)
    app.include_router(account_keys_router)
    app.include_router(account_webhooks_router)
    app.include_router(agent_webhooks_router)
    app.include_router(webhook_pages_router)
    app.include_router(account_pages_router)
    app.include_router(studio_pages_router)
    app.include_router(home_router)
    app.include_router(agent_docs_router)
    app.include_router(ops_router)
    app.mount("/static", StaticFiles(packages=[("fvs.web", "static")]), name="static")


def _add_docs(app: FastAPI) -> None:
    """/docs and /redoc, their assets, and the OpenAPI schema with our own error body."""
    assets = StaticFiles(packages=[("fastapi_offline", "static")])
    app.mount(DOCS_ASSETS, assets, name="docs-assets")
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=title,
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=title,
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the models only our docs name, and our 422 instead of its own."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (RenderRequest, ErrorResponse):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, nested in found.pop("$defs", {}).items():
                components.setdefault(name, nested)
            components.setdefault(model.__name__, found)
        _use_our_validation_error(schema)
        _restore_examples(schema)
        complete_agent_examples(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def _restore_examples(schema: dict[str, Any]) -> None:
    # get_openapi drops every None, even inside examples; a status example needs its nulls.
    api_routers = (renders_router, wallet_router, models_router)
    routes = [r for router in api_routers for r in router.routes if isinstance(r, APIRoute)]
    for route, method in ((r, m) for r in routes for m in r.methods or ()):
        answers = schema["paths"][route.path_format][method.lower()]["responses"]
        for status, answer in route.responses.items():
            example = answer.get("content", {}).get("application/json", {}).get("example")
            if example is not None:
                answers[str(status)]["content"]["application/json"]["example"] = example


def _use_our_validation_error(schema: dict[str, Any]) -> None:
    # The RequestValidationError handler answers our error body, not {"detail": [...]}.
    theirs = "#/components/schemas/HTTPValidationError"
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            answer = operation.get("responses", {}).get("422", {})
            body = answer.get("content", {}).get("application/json", {})
            if body.get("schema", {}).get("$ref") == theirs:
                body["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}
                answer["description"] = "A field or parameter is invalid; `field` names it."
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}}, status_code=status
    )


def _is_page(request: Request) -> bool:
    # A browser asking for a page; the APIs and media links keep their JSON errors.
    path = request.url.path
    return wants_html(request) and not path.startswith(("/api/", "/media/", "/static/"))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        # Some refusals tell the client when to come back (a 429's Retry-After).
        headers = getattr(exc, "headers", None)
        return JSONResponse(exc.to_json(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(p) for p in first["loc"][1:]) or None
        return _error(422, "invalid_request", str(first["msg"]), field)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404 and _is_page(request):
            return not_found_page(request)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal_error", "an unexpected error occurred; it has been logged")


__all__ = ["build_studio", "create_app", "make_webhook_sender", "start_webhook_sender"]
