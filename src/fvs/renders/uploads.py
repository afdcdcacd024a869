"""Reference files attached to a render as extra multipart parts.

Any part other than `request_json` is an upload; its part name is kept as the
asset's name (we suggest `reference_image`, `audio`, `script`; hosted clients send
`files`). Images, audio, PDFs and UTF-8 text are accepted; the kind is sniffed
from the bytes, not trusted from the client. A part whose name promises a kind
(EXPECTED_KINDS) must hold that kind; any other part name takes whatever kind was sniffed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fvs.errors import ValidationFailed
from fvs.media.audio import UnreadableAudio, decode_audio
from fvs.media.images import ImageTooLarge, UnreadableImage, open_image
from fvs.renders.schemas import RenderRequest

AUDIO_MAGIC = (
    (b"RIFF", "audio/wav"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Part names that promise a kind: "reference_image", "reference-images[]", "Music", ...
EXPECTED_KINDS = {
    **dict.fromkeys(("reference_image", "reference_images", "image", "images"), "image"),
    **dict.fromkeys(("audio", "music", "soundtrack"), "audio"),
    **dict.fromkeys(("script", "scripts", "text"), "text"),
}
# The kinds of file each asset purpose takes.
PURPOSE_KINDS = {
    **dict.fromkeys(
        ("character_reference", "location_reference", "style_reference", "logo_reference"),
        ("image",),
    ),
    **dict.fromkeys(("music_reference", "soundtrack"), ("audio",)),
    "document_reference": ("text", "document"),
}
# Purposes that make an uploaded audio file a render's soundtrack (music mode).
TRACK_PURPOSES = ("music_reference", "soundtrack")
KIND_WORDS = {
    "image": "an image (PNG, JPEG or WebP)",
    "audio": "audio (WAV, MP3, OGG, FLAC or M4A)",
    "text": "UTF-8 text",
}


@dataclass(frozen=True)
class Upload:
    part: str
    filename: str
    kind: str  # image | audio | text | document (a PDF)
    content_type: str
    data: bytes


class UploadedFile(Protocol):
    """A file part as the web framework hands it over (Starlette's UploadFile)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


async def read_upload(part: str, upload: UploadedFile, *, limit: int) -> Upload:
    """Read at most limit bytes of a file part and classify it; 422 naming the part otherwise."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(part, f"the uploaded file is larger than {limit} bytes")
    return sniff(part, upload.filename or part, data)


def expected_kind(part: str) -> str | None:
    """The kind a part's name promises (image, audio or text), or None for a generic name."""
    return EXPECTED_KINDS.get(part.strip().lower().replace("-", "_").removesuffix("[]"))


def sniff(part: str, filename: str, data: bytes) -> Upload:
    """Classify an upload; 422 naming its part if it is no kind we take, or not the one promised."""
    upload = _classify(part, filename, data)
    expected = expected_kind(part)
    if expected is not None and upload.kind != expected:
        found = {"image": "an image", "audio": "audio", "document": "a PDF"}.get(upload.kind)
        found = f"{found} ({upload.content_type})" if found else "UTF-8 text"
        raise ValidationFailed(
            part, f"part {part!r} expects {KIND_WORDS[expected]}, but {filename!r} is {found}"
        )
    return upload


def _classify(part: str, filename: str, data: bytes) -> Upload:
    """Sniff an uploaded file's kind from its bytes, or 422 naming its part."""
    if not data:
        raise ValidationFailed(part, f"the uploaded file {filename!r} is empty")
    safe = safe_filename(filename or part) or part
    image = _image_type(part, filename, data)
    if image:
        return Upload(part, safe, "image", image, data)
    for magic, ctype in AUDIO_MAGIC:
        if data.startswith(magic) and (magic != b"RIFF" or data[8:12] == b"WAVE"):
            return Upload(part, safe, "audio", ctype, data)
    if data[4:8] == b"ftyp" and safe.lower().endswith((".m4a", ".aac")):
        return Upload(part, safe, "audio", "audio/mp4", data)
    if data.startswith(b"%PDF-"):  # read as a document_reference's text at planning
        return Upload(part, safe, "document", "application/pdf", data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        expected = expected_kind(part)
        wanted = f"part {part!r} expects {KIND_WORDS[expected]}, but " if expected else ""
        raise ValidationFailed(
            part, f"{wanted}{filename!r} is not an image, audio file or UTF-8 text"
        ) from None
    return Upload(part, safe, "text", "text/plain; charset=utf-8", data)


def safe_filename(filename: str) -> str:
    """A file name as it is stored: unsafe characters replaced, at most 100 characters."""
    return SAFE_NAME.sub("_", filename).strip("._")[:100]


def check_assets(request: RenderRequest, uploads: list[Upload]) -> None:
    """Every asset and custom shot must name an uploaded file of a fitting kind; 422 otherwise."""
    kinds = {u.filename: u.kind for u in uploads}
    for index, asset in enumerate(request.assets):
        kind = kinds.get(safe_filename(asset.filename))
        if kind is None:
            raise ValidationFailed(
                f"assets[{index}].filename", f"no uploaded file is named {asset.filename!r}"
            )
        wanted = PURPOSE_KINDS.get(asset.purpose or "", (kind,))
        if kind not in wanted:
            raise ValidationFailed(
                f"assets[{index}].purpose",
                f"a {asset.purpose} must be {' or '.join(wanted)}; {asset.filename!r} is {kind}",
            )
    names = set(kinds)
    for index, shot in enumerate(request.shots or ()):
        for n, name in enumerate(shot.assets):
            if safe_filename(name) not in names:
                raise ValidationFailed(
                    f"shots[{index}].assets[{n}]", f"no uploaded file is named {name!r}"
                )


def pick_track(request: RenderRequest, uploads: Sequence[Upload]) -> Upload | None:
    """A music render's soundtrack: the described one, the `audio` part, or the only audio file.

    None means the studio composes one; several undescribed audio files are a 422, since
    guessing which one is the song would cut the film to the wrong music.
    """
    audio = [u for u in uploads if u.kind == "audio"]
    for purpose in ("soundtrack", "music_reference"):
        named = {safe_filename(a.filename) for a in request.assets if a.purpose == purpose}
        found = [u for u in audio if u.filename in named]
        if found:
            return found[0]
    # A part named audio, music or soundtrack says what it is; otherwise a lone audio file.
    parts = [u for u in audio if expected_kind(u.part) == "audio"]
    if len(parts) == 1:
        return parts[0]
    if len(audio) == 1:
        return audio[0]
    if audio:
        names = ", ".join(repr(u.filename) for u in audio)
        raise ValidationFailed(
            "assets",
            f"{len(audio)} audio files were uploaded ({names}); name the track with an "
            "assets entry whose purpose is soundtrack",
        )
    return None


def check_tracks(
    request: RenderRequest, uploads: Sequence[Upload], *, track: Upload | None
) -> float | None:
    """Every upload that may be a soundtrack must decode as audio; 422 naming its part.

    Returns the length in seconds of `track` (a music render's chosen track), or None.
    """
    described = {safe_filename(a.filename) for a in request.assets if a.purpose in TRACK_PURPOSES}
    seconds = None
    for upload in uploads:
        if upload.kind != "audio":
            continue
        if upload is track or expected_kind(upload.part) == "audio" or upload.filename in described:
            try:
                info = decode_audio(upload.data)
            except UnreadableAudio as exc:
                raise ValidationFailed(
                    upload.part, f"{upload.filename!r} does not decode as audio: {exc}"
                ) from None
            if upload is track:
                seconds = info.duration_seconds
    return seconds


def _image_type(part: str, filename: str, data: bytes) -> str | None:
    """The image's content type from its header; None if no image; 422 if it is too large."""
    try:
        # The size is read from the header before anything is decoded: bombs stop here.
        with open_image(data) as image:
            fmt = (image.format or "").lower()
            image.verify()
    except ImageTooLarge as exc:
        raise ValidationFailed(part, f"{filename!r}: {exc}") from None
    except (UnreadableImage, OSError, SyntaxError, ValueError):
        return None
    return {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}.get(fmt)
