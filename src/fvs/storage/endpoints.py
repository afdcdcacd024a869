"""The media download route of local storage: signed, expiring URLs; HTTP Range for players."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse

from fvs.deps import StudioDep
from fvs.errors import AppError, NotFound
from fvs.storage.base import UnsafePath, content_disposition
from fvs.storage.local import LocalStorage
from fvs.storage.signing import verify

router = APIRouter(tags=["media"])


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


@router.get("/media/{path:path}")
def download(
    path: str, studio: StudioDep, exp: str = "", kid: str = "", sig: str = "", dl: str = ""
) -> FileResponse:
    signed = verify(
        studio.settings.resolved_secret, path, expires=exp, key_id=kid, sig=sig, download_name=dl
    )
    if not signed:
        raise Forbidden(
            "this media link is invalid or has expired; fetch the render status for a fresh one"
        )
    # Object storage serves its own links; this route only ever serves the local folder.
    if not isinstance(studio.storage, LocalStorage):
        raise Forbidden("this media link is invalid")
    try:
        full = studio.storage.path(path)
    except UnsafePath:
        raise Forbidden("this media link is invalid") from None
    if not full.is_file():
        # A true signature for a file that is not there (removed, or never finished,
        # e.g. a render that failed on a full disk): 404, never a partial file.
        raise NotFound("this media file is not available")
    media_type = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
    headers = {"Cache-Control": "private, max-age=3600"}
    if dl:
        headers["Content-Disposition"] = content_disposition(dl)
    return FileResponse(full, media_type=media_type, headers=headers)
