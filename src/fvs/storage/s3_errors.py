"""Why a bucket cannot be used, in one plain sentence that names FVS_STORAGE_URL."""

from __future__ import annotations

import re

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

SETTING = "FVS_STORAGE_URL"
CREDENTIALS_HINT = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"


def unavailable_sentence(exc: Exception, bucket: str, endpoint: str) -> str:
    """The sentence for a failed bucket check, e.g. "... cannot be reached (connection refused)"."""
    where = f"bucket '{bucket}' at {endpoint}"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"{SETTING}: no AWS credentials to open {where} ({CREDENTIALS_HINT})"
    if isinstance(exc, ClientError):
        return f"{SETTING}: {_refusal(exc, bucket, endpoint)}"
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return f"{SETTING}: {where} cannot be reached ({_reason(exc)})"
    return f"{SETTING}: {where} cannot be used ({type(exc).__name__}: {exc})"


def _refusal(exc: ClientError, bucket: str, endpoint: str) -> str:
    """What the server's answer means: no such bucket, credentials refused, or its code."""
    where = f"bucket '{bucket}' at {endpoint}"
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = exc.response.get("Error", {}).get("Code", "")
    if status == 404 or code == "NoSuchBucket":
        return f"bucket '{bucket}' does not exist at {endpoint}"
    if status in (401, 403):
        return f"{where} refused these AWS credentials ({code or status}; {CREDENTIALS_HINT})"
    return f"{where} answered {status} {code}".rstrip()


def _reason(exc: Exception) -> str:
    """A short cause, e.g. "connection refused", without errno noise."""
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "no answer in time"
    cause = str(getattr(exc, "kwargs", {}).get("error", exc))
    found = re.search(r"\[Errno -?\d+\]\s*([^'\")\]]+)", cause)
    text = found.group(1).strip() if found else type(exc).__name__
    return text[:1].lower() + text[1:]
