"""FastAPI dependency shortcuts every router shares: the studio, database sessions, our origin.

Handlers declared with `def` run in a worker thread, so they take a session
straight from these and never hand-write run_in_threadpool or transact():

    @router.get("/things")
    def things(session: ReadSession) -> ...: ...

A WriteSession commits when the handler returns and rolls back when it raises,
before the response is sent, so a client never sees an answer that was not saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from fvs import proxies
from fvs.db import is_retryable
from fvs.errors import ServiceBusy
from fvs.studio import Studio

T = TypeVar("T")


# Plain lookups are `async def`: FastAPI runs a sync dependency in a worker thread, and a
# thread hop costs more than the lookup itself on every request.
async def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def read_session(studio: StudioDep) -> Iterator[Session]:
    """A read-only transaction for one request."""
    with studio.db.read() as session:
        yield session


def write_session(studio: StudioDep) -> Iterator[Session]:
    """A write transaction for one request: committed after the handler, before the response."""
    try:
        with studio.db.session() as session:
            yield session
    except OperationalError as exc:
        if is_retryable(exc):
            raise ServiceBusy("the database is busy; retry shortly") from exc
        raise


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


def attempt(session: Session, change: Callable[[], T]) -> T:
    """Run one change in a savepoint: refused (it raises), it leaves nothing for the commit.

    For pages that answer a refusal with the form again instead of an error response.
    """
    with session.begin_nested():
        return change()


async def public_base_url(request: Request, studio: StudioDep) -> str:
    """Our origin as the client sees it: FVS_PUBLIC_BASE_URL, else the (trusted-proxy) request."""
    if studio.settings.public_base_url:
        return studio.settings.public_base_url.rstrip("/")
    return proxies.request_origin(request)


BaseUrlDep = Annotated[str, Depends(public_base_url)]
