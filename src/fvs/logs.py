"""Log lines: plain text by default, one JSON object per line with FVS_LOG_FORMAT=json.

Every line carries the request id and, where there is one, the project and job id
(context variables set by the request middleware and the job runner), so one render
can be followed across replicas and workers. Agent keys and signed or token-like query
values (uvicorn's access log included) are masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

request_id: ContextVar[str | None] = ContextVar("fvs_request_id", default=None)
project_id: ContextVar[str | None] = ContextVar("fvs_project_id", default=None)
job_id: ContextVar[int | None] = ContextVar("fvs_job_id", default=None)

# An agent key.
AGENT_KEY = re.compile(r"fvs_[A-Za-z0-9_-]{8,}")
# Query parameters of signed links (ours: exp, sig, dl; S3's SigV4 and SigV2; any signer's
# Expires) and anything named like a credential: a log must not replay a link or a login.
SIGNED_PARAMETER = re.compile(
    r"([?&](?:sig|exp|dl|signature|expires|x-amz-[a-z-]+"
    r"|[a-z_-]*(?:token|secret|password|passwd|credential|api_?key))=)[^&\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with agent keys and signed or token-like query values masked."""
    return SIGNED_PARAMETER.sub(r"\1[redacted]", AGENT_KEY.sub("[redacted]", text))


@contextmanager
def job_context(project: str, job: int) -> Iterator[None]:
    """Tag every line logged inside with this project and job."""
    project_token, job_token = project_id.set(project), job_id.set(job)
    try:
        yield
    finally:
        project_id.reset(project_token)
        job_id.reset(job_token)


class ContextFilter(logging.Filter):
    """Copies the context ids onto each record (None where there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.project_id = project_id.get()
        record.job_id = job_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "project_id": getattr(record, "project_id", None),
            "job_id": getattr(record, "job_id", None),
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual text line, with context ids when present and secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        ids = [
            f"{name}={value}"
            for name in ("request_id", "project_id", "job_id")
            if (value := getattr(record, name, None)) is not None
        ]
        text = super().format(record)
        return redact(f"{text} [{' '.join(ids)}]" if ids else text)


class StderrHandler(logging.StreamHandler):
    """Writes to the process's own stderr: not a stand-in that a test runner closes, nor
    Celery's redirect of sys.stderr into logging (which would loop back here)."""

    @property
    def stream(self) -> TextIO:
        return sys.__stderr__ or sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Send the studio's and uvicorn's logs to stderr in the chosen format."""
    handler = StderrHandler()
    handler.addFilter(ContextFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("fvs", "uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(level)
