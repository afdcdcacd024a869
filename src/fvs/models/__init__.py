"""All tables, imported here so Alembic and create_all see one metadata."""

from fvs.models.accounts import Account, AgentKey
from fvs.models.base import Base
from fvs.models.events import ProjectEvent
from fvs.models.jobs import Job
from fvs.models.ledger import LedgerAccount, Transfer
from fvs.models.projects import Asset, Project, Run, Shot
from fvs.models.sessions import IdempotencyRecord, WebSession
from fvs.models.webhooks import (
    WebhookAccount,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "IdempotencyRecord",
    "WebSession",
    "Account",
    "AgentKey",
    "Asset",
    "Base",
    "Job",
    "LedgerAccount",
    "Project",
    "ProjectEvent",
    "Run",
    "Shot",
    "Transfer",
    "WebhookAccount",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
