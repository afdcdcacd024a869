"""What a render's described assets do to its plan: named subjects, documents, custom shots.

The request's `assets` give each uploaded file a purpose and a label. Character
references become named subjects whose uploaded image is their reference; documents
are read into the planner's brief; a custom render's shots become the plan itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from fvs.models import Asset
from fvs.options.resolved import AssetUse, ResolvedRender
from fvs.providers.base import MAX_SUBJECTS, ContinuityBible, Plan, ShotPlan, Subject
from fvs.providers.local.references import image_palette
from fvs.providers.styles import describe

# Image purposes the planner is shown; logos are kept, not drawn into every shot.
PLANNER_PURPOSES = (None, "character_reference", "location_reference", "style_reference")
MAX_DOCUMENT_CHARS = 8_000
DOCUMENT_KINDS = ("text", "document")
# Images whose colours become the world's palette.
WORLD_PURPOSES = ("location_reference", "style_reference")
PURPOSE_USES = {
    "logo_reference": "logo, kept with the project (not drawn into the shots)",
    "music_reference": "music reference, kept; only project_mode music cuts to a track",
    "soundtrack": "soundtrack, kept; only project_mode music cuts to a track",
    "document_reference": "document read into the planner's brief",
}


@dataclass(frozen=True)
class DescribedUpload:
    """An uploaded file and the request's description of it (if any)."""

    asset: Asset
    use: AssetUse | None

    @property
    def purpose(self) -> str | None:
        return self.use.purpose if self.use else None

    @property
    def label(self) -> str | None:
        return self.use.label if self.use else None


def describe_uploads(render: ResolvedRender, uploads: list[Asset]) -> list[DescribedUpload]:
    """Each upload with the asset entry that names its file."""
    # Resolving stored each asset's file name as the upload's own was stored (made safe).
    uses = {a.filename: a for a in render.assets}
    return [DescribedUpload(u, uses.get(u.filename)) for u in uploads]


def planner_images(described: list[DescribedUpload]) -> list[DescribedUpload]:
    """The uploaded images the planner is shown, in upload order."""
    return [d for d in described if d.asset.kind == "image" and d.purpose in PLANNER_PURPOSES]


def document_text(path: Path) -> str:
    """The text of an uploaded document: a PDF's extracted text, else the file as UTF-8."""
    if path.read_bytes()[:5] != b"%PDF-":
        return path.read_text(encoding="utf-8", errors="replace")
    try:
        reader = PdfReader(path)
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except PdfReadError as exc:
        return f"(the PDF could not be read: {exc})"


def document_brief(
    instructions: str, described: list[DescribedUpload], read: Callable[[str], Path]
) -> str:
    """The instructions with every document appended, each cut to MAX_DOCUMENT_CHARS."""
    parts = [instructions]
    for d in described:
        if d.asset.kind in DOCUMENT_KINDS and d.purpose == "document_reference":
            text = document_text(read(d.asset.path))[:MAX_DOCUMENT_CHARS]
            parts.append(f"Reference document {d.asset.filename}:\n{text}")
    return "\n\n".join(p for p in parts if p)


def world_palette(described: list[DescribedUpload], read: Callable[[str], Path]) -> tuple[str, ...]:
    """The colours of the location and style references, darkest first; () when none."""
    colours: list[str] = []
    for d in described:
        if d.asset.kind == "image" and d.purpose in WORLD_PURPOSES:
            colours += image_palette(read(d.asset.path)) or ()
    unique = dict.fromkeys(colours)
    return tuple(sorted(unique, key=lambda c: sum(int(c[i : i + 2], 16) for i in (1, 3, 5))))


def with_world(plan: Plan, palette: tuple[str, ...]) -> Plan:
    """The plan with the world painted in the references' colours, when there are any."""
    if not palette:
        return plan
    return plan.model_copy(update={"bible": plan.bible.model_copy(update={"palette": palette})})


def slug(text: str) -> str:
    """Lowercase words joined by hyphens: "Mara Vance" -> "mara-vance"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "subject"


def characters(described: list[DescribedUpload]) -> list[DescribedUpload]:
    """The character references, at most MAX_SUBJECTS, in upload order."""
    found = [d for d in described if d.purpose == "character_reference"]
    return [d for d in found if d.asset.kind == "image"][:MAX_SUBJECTS]


def _character_subject(d: DescribedUpload, description: str | None = None) -> Subject:
    name = d.label or d.asset.filename.rsplit(".", 1)[0]
    return Subject(
        key=slug(name),
        description=f"{name}, {description}" if description else name,
        reference=d.asset.path,
    )


def name_subjects(plan: Plan, described: list[DescribedUpload], preset: str) -> Plan:
    """The plan with each character reference naming (and picturing) a subject, in order."""
    subjects = list(plan.bible.subjects)
    renamed: dict[str, str] = {}
    for order, d in enumerate(characters(described)):
        if order < len(subjects):
            old = subjects[order]
            subjects[order] = _character_subject(d, old.description).model_copy(
                update={"palette": old.palette}
            )
            renamed[old.key] = subjects[order].key
        elif len(subjects) < MAX_SUBJECTS:
            subjects.append(_character_subject(d))
    shots = tuple(
        s.model_copy(update={"subject_keys": tuple(renamed.get(k, k) for k in s.subject_keys)})
        for s in plan.shots
    )
    bible = plan.bible.model_copy(update={"subjects": tuple(subjects), "preset": preset})
    return plan.model_copy(update={"shots": shots, "bible": bible})


def custom_plan(render: ResolvedRender, described: list[DescribedUpload]) -> Plan:
    """The plan of a custom render: the caller's shots as written, subjects from its references."""
    cast = {d.asset.filename: _character_subject(d) for d in characters(described)}
    shots = []
    for index, shot in enumerate(render.custom_shots):
        said = f' Dialogue: "{shot.dialogue}"' if shot.dialogue else ""
        keys = (cast[n].key for n in shot.assets if n in cast)
        shots.append(
            ShotPlan(
                index=index,
                text=shot.prompt,
                image_prompt=shot.prompt,
                video_prompt=f"{shot.prompt}{said}",
                camera_move=shot.camera or "static",
                duration_seconds=shot.duration_seconds,
                subject_keys=tuple(dict.fromkeys(keys)),
            )
        )
    places = [d.label or d.asset.filename for d in described if d.purpose == "location_reference"]
    bible = ContinuityBible(
        subjects=tuple(cast.values()),
        setting=", ".join(places) or "as each shot describes",
        palette=(),
        style=describe(render.visual_style_preset),
        preset=render.visual_style_preset,
    )
    return Plan(shots=tuple(shots), bible=bible)
