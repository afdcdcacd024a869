"""The media download route of local storage: signed, expiring URLs; HTTP Range for players.

Every way a link can be malformed is a 403 with the JSON error body: the query is
checked for shape (each field once, ASCII, bounded) before the signature, because
int() accepts some Unicode digits and refuses others, and compare_digest refuses
non-ASCII text; the path guard's own refusals (NUL bytes, names the file system
finds too long) are refusals too, not crashes.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from fvs.deps import StudioDep
from fvs.errors import AppError, NotFound
from fvs.storage.base import UnsafePath, content_disposition
from fvs.storage.local import LocalStorage
from fvs.storage.signing import verify

router = APIRouter(tags=["media"])

SIGNED_FIELDS = ("exp", "kid", "sig", "dl")
# Unix seconds: ten digits until 2286; twelve leave room and stay far from int()'s limit.
EXPIRY = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"[0-9a-f]{64}")
KEY_ID = re.compile(r"[A-Za-z0-9]{1,16}")


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


@router.get("/media/{path:path}")
def download(
    path: str,
    request: Request,
    studio: StudioDep,
    exp: str = "",
    kid: str = "",
    sig: str = "",
    dl: str = "",
) -> FileResponse:
    if not _well_formed(request, exp=exp, kid=kid, sig=sig) or not verify(
        studio.settings.resolved_secret, path, expires=exp, key_id=kid, sig=sig, download_name=dl
    ):
        raise Forbidden(
            "this media link is invalid or has expired; fetch the render status for a fresh one"
        )
    # Object storage serves its own links; this route only ever serves the local folder.
    if not isinstance(studio.storage, LocalStorage):
        raise Forbidden("this media link is invalid")
    full = _stored_file(studio.storage, path)
    media_type = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": "private, max-age=3600"}
    if dl:
        headers["Content-Disposition"] = content_disposition(dl)
    return FileResponse(full, media_type=media_type, headers=headers)


def _well_formed(request: Request, *, exp: str, kid: str, sig: str) -> bool:
    # A field given twice is ambiguous (which one did the signer mean?): refused, not guessed.
    given = request.query_params
    if any(len(given.getlist(name)) > 1 for name in SIGNED_FIELDS):
        return False
    shapes = ((EXPIRY, exp), (KEY_ID, kid), (SIGNATURE, sig))
    return all(shape.fullmatch(value) for shape, value in shapes)


def _stored_file(storage: LocalStorage, path: str) -> Path:
    """The file a verified link names: Forbidden outside the folder or unreadable, NotFound
    when it is not there (removed, or never finished, e.g. a render that failed on a full
    disk): never a partial file."""
    try:
        full = storage.path(path)
        exists = full.is_file()
    except (UnsafePath, ValueError, OSError):
        # ValueError: a NUL byte; OSError: a name or path too long for the file system.
        raise Forbidden("this media link is invalid") from None
    if not exists:
        raise NotFound("this media file is not available")
    return full
