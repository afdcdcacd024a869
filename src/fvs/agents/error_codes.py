"""Every error code an agent can meet, collected from the domain error classes.

Each AppError subclass carries its status and stable code; this module imports the
modules that define the agent API's errors and walks the class tree, so a new
error class shows up on the agent API page by itself (a test checks that every
class loaded anywhere in fvs is either listed or a browser-only one below).
"""

from __future__ import annotations

from dataclasses import dataclass

import fvs.billing.service
import fvs.ops.body_limits
import fvs.renders.idempotency
import fvs.storage.base
import fvs.storage.endpoints
from fvs.errors import _ERRORS, AppError

# Imported for their error classes: the walk below finds only classes that are loaded.
DEFINING_MODULES = (
    fvs.billing.service,
    fvs.ops.body_limits,
    fvs.renders.idempotency,
    fvs.storage.base,
    fvs.storage.endpoints,
)

# Errors of the browser's sign-in, session and CSRF checks, of the account (cookie)
# API and of the metrics scrape: an agent key never reaches them.
BROWSER_ONLY_PREFIXES = ("fvs.accounts.", "fvs.ops.endpoints", "fvs.web.")

# Codes app.py's handlers answer without a domain class (routing and the last resort).
HANDLER_CODES: tuple[tuple[int, str, str], ...] = (
    (404, "not_found", "No such route (also: no such render for this key's account)."),
    (405, "method_not_allowed", "The route exists, but not with this HTTP method."),
    (500, "internal_error", "A bug on our side; it was logged. Retrying rarely helps."),
)

# What each code means for a caller, where the class has no docstring of its own.
WHEN: dict[str, str] = {
    "invalid_request": (
        "A field, parameter, header or upload is invalid; `field` names it and `details` "
        "lists every problem. Fix the request; retrying it unchanged fails again."
    ),
    "unauthorized": (
        "The `X-FVS-Agent-Key` header is missing, malformed, unknown, revoked or expired."
    ),
    "not_found": "No such render for this key's account (another account's render is 404 too).",
    "conflict": (
        "The render is not in a state that allows this (e.g. cancelling a completed render, "
        "approving one not halted for review)."
    ),
    "idempotency_key_in_use": (
        "A submit with this `Idempotency-Key` is still being accepted; retry in a moment "
        "to get its answer."
    ),
    "unsupported_media_type": (
        "The body is neither `multipart/form-data` (with `request_json`) nor `application/json`."
    ),
    "service_busy": "The database stayed busy; nothing was saved. Retry after a short pause.",
    "insufficient_credits": (
        "The wallet's available credits do not cover the estimate; nothing was created. "
        "The body adds `needed` and `available`."
    ),
    "request_too_large": "The body is larger than the studio accepts; send smaller uploads.",
    "forbidden": "A media link's signature is wrong or expired; poll the status for fresh links.",
    "storage_unavailable": "The studio's media storage cannot be reached; retry later.",
}


@dataclass(frozen=True)
class ErrorCode:
    status: int
    code: str
    when: str


def _subclasses(cls: type[AppError]) -> list[type[AppError]]:
    found: list[type[AppError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def agent_error_classes() -> list[type[AppError]]:
    """Every loaded domain error class an agent key can meet."""
    return [
        cls for cls in _subclasses(AppError) if not cls.__module__.startswith(BROWSER_ONLY_PREFIXES)
    ]


def _when(cls: type[AppError]) -> str:
    own = cls.__doc__ if cls.__doc__ and "__doc__" in vars(cls) else None
    fallback = _ERRORS.get(cls.status_code, ("",))[0]
    return WHEN.get(cls.code) or (own or fallback).strip().splitlines()[0]


def error_codes() -> list[ErrorCode]:
    """One entry per (status, code), sorted by status: the page's error table."""
    found: dict[tuple[int, str], ErrorCode] = {}
    for cls in agent_error_classes():
        entry = ErrorCode(cls.status_code, cls.code, _when(cls))
        found.setdefault((entry.status, entry.code), entry)
    for status, code, when in HANDLER_CODES:
        found.setdefault((status, code), ErrorCode(status, code, when))
    return sorted(found.values(), key=lambda e: (e.status, e.code))
