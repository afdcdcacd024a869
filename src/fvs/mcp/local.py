"""The in-process backend: the same service calls the agent API's endpoints make."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session

from fvs.agents.reference import reference_markdown
from fvs.billing import service as billing
from fvs.errors import AppError
from fvs.events.feed import EventFeed
from fvs.mcp.backend import ApiError, FileIn
from fvs.providers.endpoints import registry_listing
from fvs.renders import service, submission
from fvs.renders.endpoints import AGENT_PROJECT_PREFIX, pacer
from fvs.renders.schemas import RenderStatus, parse_render_request
from fvs.renders.uploads import sniff
from fvs.studio import Studio

T = TypeVar("T")


async def _answer(call: Awaitable[T]) -> T:
    """Run a service call; a domain error becomes the API's error body."""
    try:
        return await call
    except AppError as exc:
        raise ApiError(exc.status_code, exc.to_json()) from None


class LocalBackend:
    """One account's calls into this process's studio (the /mcp endpoint's backend)."""

    def __init__(self, studio: Studio, feed: EventFeed, *, account_id: str, base_url: str) -> None:
        self.studio = studio
        self.feed = feed
        self.account_id = account_id
        self.base_url = base_url

    async def submit(self, request: dict[str, Any], files: list[FileIn]) -> dict[str, Any]:
        async def create() -> dict[str, Any]:
            # Inline files are classified exactly as multipart parts are.
            uploads = [sniff(f.part, f.filename, f.data) for f in files]
            answer = await submission.create_render(
                self.studio,
                account_id=self.account_id,
                raw=request,
                uploads=uploads,
                base_url=self.base_url,
                id_prefix=AGENT_PROJECT_PREFIX,
            )
            return answer.body

        return await _answer(create())

    async def status(self, project_id: str) -> dict[str, Any]:
        # Paced with the API's own polls of the same render: one budget per account.
        await pacer.pace(self.account_id, project_id, self.studio.settings.status_min_interval_ms)
        status = await _answer(
            submission.current_status(self.studio, self.account_id, project_id, self.base_url)
        )
        return status.model_dump()

    async def events(self, project_id: str) -> AsyncGenerator[dict[str, Any], None]:
        missed = self.feed.missed(account_id=self.account_id, project_id=project_id, after=0)
        backlog = await _answer(missed)
        async with aclosing(self.feed.follow(project_id, 0, backlog)) as stream:
            async for found in stream:
                yield found.data | {"type": found.type}

    async def cancel(self, project_id: str) -> dict[str, Any]:
        return await self._act(
            project_id,
            lambda s: service.cancel_render(s, account_id=self.account_id, project_id=project_id),
        )

    async def approve(self, project_id: str) -> dict[str, Any]:
        return await self._act(
            project_id,
            lambda s: service.approve_render(s, account_id=self.account_id, project_id=project_id),
        )

    async def regenerate(self, project_id: str, shot_number: int) -> dict[str, Any]:
        return await self._act(
            project_id,
            lambda s: service.regenerate_keyframe(
                s, account_id=self.account_id, project_id=project_id, shot_number=shot_number
            ),
        )

    async def estimate(self, request: dict[str, Any]) -> dict[str, Any]:
        def quote() -> dict[str, Any]:
            parsed = parse_render_request(request)
            with self.studio.db.read() as session:
                return service.estimate_render(
                    session,
                    account_id=self.account_id,
                    request=parsed,
                    settings=self.studio.settings,
                ).model_dump()

        return await _answer(to_thread.run_sync(quote))

    async def wallet(self) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            with self.studio.db.read() as session:
                balance = billing.wallet_balance(session, account_id=self.account_id)
            return {
                "available_credits": balance.available,
                "held_credits": balance.debits_pending,
                "balance_credits": balance.balance,
            }

        return await _answer(to_thread.run_sync(read))

    async def models(self) -> dict[str, Any]:
        return registry_listing(self.studio.settings)

    async def reference(self) -> str:
        return reference_markdown(self.base_url, settings=self.studio.settings)

    async def _act(self, project_id: str, action: Callable[[Session], object]) -> dict[str, Any]:
        status: RenderStatus = await _answer(
            submission.act_then_status(
                self.studio,
                account_id=self.account_id,
                project_id=project_id,
                base_url=self.base_url,
                action=action,
            )
        )
        return status.model_dump()
