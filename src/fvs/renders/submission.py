"""One submit path for the agent API and the studio's form, and the status reads around it.

A submit claims its Idempotency-Key (or replays the first answer), creates the
render in one transaction, wakes the workers, waits as long as the request
asked, and stores the answer it gives for replays. A refused submit frees its key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fvs.accounts import service as accounts
from fvs.billing.service import InsufficientCredits, how_to_add_credits
from fvs.errors import AppError
from fvs.renders import freshness, idempotency, service
from fvs.renders.schemas import RenderRequest, RenderStatus, parse_render_request
from fvs.renders.uploads import Upload
from fvs.stages import TERMINAL, Status
from fvs.studio import Studio

WAIT_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Answer:
    """What a submit answers: 200 once completed, else 202; replayed for a repeated key."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


async def create_render(
    studio: Studio,
    *,
    account_id: str,
    raw: Any,
    uploads: list[Upload],
    base_url: str,
    idempotency_key: str | None = None,
    id_prefix: str = "proj",
) -> Answer:
    """Validate, hold credits, create the render and answer with its status (or a replay)."""
    request = parse_render_request(raw)
    key = None if idempotency_key is None else idempotency.check_key(idempotency_key)
    if key is not None:
        replayed = await _replay(
            studio, account_id=account_id, key=key, raw=raw, uploads=uploads, base_url=base_url
        )
        if replayed is not None:
            return replayed
    project_id = await _submit(
        studio, account_id=account_id, request=request, uploads=uploads, key=key, prefix=id_prefix
    )
    studio.wake()
    status = await wait_for_status(
        studio, account_id, project_id, base_url, request.wait_for_completion_seconds
    )
    answer = Answer(200 if status.status == Status.COMPLETED else 202, status.model_dump())
    if key is not None:
        await _remember(studio, account_id=account_id, key=key, answer=answer)
    return answer


async def _replay(
    studio: Studio, *, account_id: str, key: str, raw: Any, uploads: list[Upload], base_url: str
) -> Answer | None:
    """Claim the key; for a repeated one, the first answer (or the render's status now)."""
    fingerprint = idempotency.fingerprint(raw, uploads)
    replay = await _claim(studio, account_id, key, fingerprint)
    if replay is None:
        return None
    # No stored answer yet (the first request is still waiting, or died): show the status now.
    body = (
        replay.body
        or (await current_status(studio, account_id, str(replay.project_id), base_url)).model_dump()
    )
    return Answer(replay.status_code, body, replayed=True)


async def _submit(
    studio: Studio,
    *,
    account_id: str,
    request: RenderRequest,
    uploads: list[Upload],
    key: str | None,
    prefix: str,
) -> str:
    """Create the render in one transaction and bind the key to it; a failure frees the key."""

    def submit(session: Session) -> str:
        project = service.submit_render(
            session,
            account_id=account_id,
            request=request,
            uploads=uploads,
            settings=studio.settings,
            storage=studio.storage,
            id_prefix=prefix,
        )
        if key is not None:
            idempotency.bind_project(session, account_id=account_id, key=key, project_id=project.id)
        return project.id

    try:
        return await to_thread.run_sync(studio.db.transact, submit)
    except Exception as exc:
        if key is not None:
            await _write(studio, lambda s: idempotency.release(s, account_id=account_id, key=key))
        if isinstance(exc, InsufficientCredits):
            raise await _advised(studio, account_id, exc) from None
        raise


async def _advised(studio: Studio, account_id: str, exc: InsufficientCredits) -> AppError:
    """The refusal, saying how credits are added here: the top-up page or the operator."""

    def email() -> str:
        with studio.db.read() as session:
            return accounts.get_account(session, account_id).email

    short_by = int(exc.extra["needed"]) - int(exc.extra["available"])
    how = how_to_add_credits(
        topup_url=studio.settings.topup_url,
        email=await to_thread.run_sync(email),
        short_by=short_by,
    )
    return exc.advised(how)


async def _remember(studio: Studio, *, account_id: str, key: str, answer: Answer) -> None:
    """Store the answer under its key, so a repeated request gets the same one."""
    await _write(
        studio,
        lambda s: idempotency.store_answer(
            s, account_id=account_id, key=key, status_code=answer.status_code, body=answer.body
        ),
    )


async def current_status(
    studio: Studio, account_id: str, project_id: str, base_url: str
) -> RenderStatus:
    """The render's status body, read in a worker thread; 404 for another account's id."""

    def read() -> RenderStatus:
        with studio.db.read() as session:
            return service.status_of(
                session,
                account_id=account_id,
                project_id=project_id,
                base_url=base_url,
                settings=studio.settings,
                storage=studio.storage,
            )

    return await to_thread.run_sync(read)


@dataclass(frozen=True)
class Polled:
    """One status poll's answer: the render's version, its ETag, and the body if needed."""

    version: freshness.Version
    etag: str
    body: bytes | None  # None: the client's copy (If-None-Match) is still current


async def poll_status(
    studio: Studio, account_id: str, project_id: str, base_url: str, if_none_match: str | None
) -> Polled:
    """The status body as JSON bytes, unless If-None-Match names its current ETag.

    The hot path is one Core query (the version): on SQLite right on the event loop
    (fvs.db.Database.loop_read), elsewhere in a worker thread. Only when this process
    has no body for the current ETag is one built, in a Session that reads the version
    again, so the ETag stored with a body never names a newer render than it shows.
    """
    poll = _StatusPoll(studio, account_id, project_id, base_url, if_none_match)
    if studio.db.is_sqlite:
        with studio.db.loop_read() as connection:
            answer = poll.answer_from_version(connection)
        if answer is not None:
            return answer
        return await to_thread.run_sync(poll.build)
    return await to_thread.run_sync(poll.read)


@dataclass(frozen=True)
class _StatusPoll:
    studio: Studio
    account_id: str
    project_id: str
    base_url: str
    if_none_match: str | None

    def version_and_tag(self, connection: Connection) -> tuple[freshness.Version, str]:
        version = service.status_version(
            connection, account_id=self.account_id, project_id=self.project_id
        )
        ttl = self.studio.settings.signed_url_ttl_seconds
        return version, freshness.etag(version, base_url=self.base_url, ttl_seconds=ttl)

    def answer_from_version(self, connection: Connection) -> Polled | None:
        """304 for a current copy, or a body this process built for this ETag; else None."""
        version, tag = self.version_and_tag(connection)
        if freshness.matches(self.if_none_match, tag):
            return Polled(version, tag, None)  # no shots read, no links signed
        body = freshness.bodies.get(self.project_id, tag)
        return None if body is None else Polled(version, tag, body)

    def read(self) -> Polled:
        with self.studio.db.read_connection() as connection:
            answer = self.answer_from_version(connection)
        return answer if answer is not None else self.build()

    def build(self) -> Polled:
        """Build the body: the render moved (or the hour did) since this process last did."""
        with self.studio.db.read() as session:
            version, tag = self.version_and_tag(session.connection())
            status = service.status_of(
                session,
                account_id=self.account_id,
                project_id=self.project_id,
                base_url=self.base_url,
                settings=self.studio.settings,
                storage=self.studio.storage,
            )
        body = status.model_dump_json().encode()
        freshness.bodies.put(self.project_id, tag, body)
        return Polled(version, tag, body)


async def wait_for_status(
    studio: Studio, account_id: str, project_id: str, base_url: str, seconds: float
) -> RenderStatus:
    """The status once the render ends or halts for review, or when the wait runs out."""
    deadline = time.monotonic() + min(seconds, studio.settings.max_wait_seconds)
    while True:
        status = await current_status(studio, account_id, project_id, base_url)
        # A storyboard halted for review will not move until someone approves it.
        if status.status in TERMINAL or status.needs_approval or time.monotonic() >= deadline:
            return status
        await asyncio.sleep(WAIT_POLL_SECONDS)


async def act_then_status(
    studio: Studio,
    *,
    account_id: str,
    project_id: str,
    base_url: str,
    action: Callable[[Session], object],
) -> RenderStatus:
    """Run one state-changing service call, wake the workers, answer with the status."""
    try:
        await _write(studio, action)
    except InsufficientCredits as exc:  # a repainted keyframe is charged
        raise await _advised(studio, account_id, exc) from None
    studio.wake()
    return await current_status(studio, account_id, project_id, base_url)


async def _write(studio: Studio, action: Callable[[Session], object]) -> None:
    await to_thread.run_sync(studio.db.transact, action)


async def _claim(
    studio: Studio, account_id: str, key: str, request_hash: str
) -> idempotency.Replay | None:
    def claim(session: Session) -> idempotency.Replay | None:
        return idempotency.claim(session, account_id=account_id, key=key, request_hash=request_hash)

    try:
        return await to_thread.run_sync(studio.db.transact, claim)
    except IntegrityError:  # a concurrent twin inserted the same key first
        raise idempotency.IdempotencyKeyInUse(
            "a request with this Idempotency-Key is still being accepted", field=idempotency.HEADER
        ) from None
