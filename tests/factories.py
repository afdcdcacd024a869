"""Small factories that build real objects through the services (STYLE.md, habit 8)."""

from __future__ import annotations

import uuid
from typing import Any

from fvs.accounts import service as accounts
from fvs.billing import service as billing
from fvs.models import Project
from fvs.renders import service as renders
from fvs.renders.schemas import parse_render_request
from fvs.studio import Studio
from tests.conftest import SMALL_RENDER


def account_with_renders(
    studio: Studio, *, renders_count: int = 1, credits: int = 500, request: Any = None
) -> tuple[str, list[Project]]:
    """A new account with credits and `renders_count` submitted renders (plan jobs queued)."""

    def create(session):
        account = accounts.create_account(session, email=f"f-{uuid.uuid4().hex[:8]}@example.com")
        billing.grant(session, account_id=account.id, amount=credits, transfer_id=f"g:{account.id}")
        projects = [
            renders.submit_render(
                session,
                account_id=account.id,
                request=parse_render_request(request or SMALL_RENDER),
                uploads=[],
                settings=studio.settings,
                storage=studio.storage,
            )
            for _ in range(renders_count)
        ]
        return account.id, projects

    return studio.db.transact(create)
