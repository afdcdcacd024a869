"""Gemini image models as the painter: subject references first, then keyframes that use them.

Keyframes get the reference images of the subjects in the shot as inline image
parts, so a subject is drawn the same way in every shot. Whatever size the model
returns, the file on disk is a PNG of exactly the size asked for.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from google.genai import types
from PIL import Image, ImageOps

from fvs.media.images import ImageTooLarge, UnreadableImage, load_rgb
from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.google.client import (
    GoogleModel,
    GoogleProviderError,
)
from fvs.providers.registry import IMAGE_SIZES
from fvs.providers.styles import describe

# 2.5 Flash Image has one output size per aspect ratio and no imageSize parameter.
UNSIZED_MODELS = frozenset({"gemini-2.5-flash-image"})
SIZE_LABELS = ("1K", "2K", "4K")


class NoImageReturned(GoogleProviderError):
    """The image model answered without an image (usually a safety block)."""


class UnusableImage(GoogleProviderError):
    """The image model answered with bytes that are no image, or too large a one."""


def image_config_for(size: ImageSize) -> tuple[str, str]:
    """The (image_size, aspect_ratio) literals for a pixel size, e.g. 1024x576 -> ("1K", "16:9")."""
    for (label, aspect), (width, height) in IMAGE_SIZES.items():
        if (width, height) == (size.width, size.height):
            return label, aspect
    aspect = "16:9" if size.width >= size.height else "9:16"
    wanted = max(size.width, size.height)
    # The smallest size at least as large as asked: scaling down keeps detail.
    for label in SIZE_LABELS:
        if max(IMAGE_SIZES[(label, aspect)]) >= wanted:
            return label, aspect
    return SIZE_LABELS[-1], aspect


def _style(bible: ContinuityBible) -> str:
    """The bible's style with its preset's look, which the image must follow."""
    return f"{bible.style}; {describe(bible.preset)}"


def _no_text(bible: ContinuityBible) -> str:
    return "" if bible.text_overlays_allowed else " No text, captions, logos or lettering."


def reference_prompt(subject: Subject, bible: ContinuityBible) -> str:
    """The prompt for a subject's reference image: the whole subject, nothing else."""
    colours = f" Colours: {', '.join(subject.palette)}." if subject.palette else ""
    return (
        f"Reference image of {subject.description}: the full figure, head to toe, centred, "
        f"facing the viewer, on a plain light-grey background with even studio light.{colours} "
        f"Style: {_style(bible)}.{_no_text(bible)}"
    )


def keyframe_prompt(shot: ShotPlan, bible: ContinuityBible) -> str:
    """The prompt for a shot's first frame, with the world's continuity rules."""
    return (
        f"{shot.image_prompt}\nSetting: {bible.setting}. Palette: {', '.join(bible.palette)}. "
        f"Style: {_style(bible)}. Draw each referenced subject exactly as in its reference "
        f"image.{_no_text(bible)}"
    )


def _image_part(path: Path) -> types.Part:
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return types.Part.from_bytes(data=path.read_bytes(), mime_type=mime)


def save_png(data: bytes, size: ImageSize, out_path: Path) -> Path:
    """Write image bytes as a PNG of exactly `size`, cropping to fill rather than stretching."""
    try:
        # A model's image is a stranger's too: a bomb fails this step, never the worker.
        rgb = load_rgb(data, reduce_to=(size.width, size.height))
    except (ImageTooLarge, UnreadableImage) as exc:
        raise UnusableImage(f"the image model returned an unusable image: {exc}") from None
    if rgb.size != (size.width, size.height):
        rgb = ImageOps.fit(rgb, (size.width, size.height), Image.Resampling.LANCZOS)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.partial")
    # Write beside the target and rename, so a crash never leaves half a keyframe.
    rgb.save(partial, format="PNG")
    os.replace(partial, out_path)
    return out_path


class GeminiPainter(GoogleModel):
    """Paints references and keyframes with a Gemini image model."""

    def paint_reference(
        self, subject: Subject, bible: ContinuityBible, size: ImageSize, out_path: Path
    ) -> Path:
        """One reference image of the subject on a plain background."""
        parts = [types.Part.from_text(text=reference_prompt(subject, bible))]
        return save_png(self._generate(parts, size), size, out_path)

    def paint_keyframe(
        self,
        shot: ShotPlan,
        bible: ContinuityBible,
        size: ImageSize,
        references: dict[str, Path],
        out_path: Path,
    ) -> Path:
        """The shot's first frame, drawn with the references of the subjects in it."""
        parts: list[types.Part] = []
        described = {s.key: s.description for s in bible.subjects}
        for key in shot.subject_keys:
            if key in references:
                label = f"Reference image of {described.get(key, key)} (subject '{key}'):"
                parts += [types.Part.from_text(text=label), _image_part(references[key])]
        parts.append(types.Part.from_text(text=keyframe_prompt(shot, bible)))
        return save_png(self._generate(parts, size), size, out_path)

    def _config(self, size: ImageSize) -> types.GenerateContentConfig:
        label, aspect = image_config_for(size)
        image_size = None if self.model_id in UNSIZED_MODELS else label
        return types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(image_size=image_size, aspect_ratio=aspect),
        )

    def _generate(self, parts: list[types.Part], size: ImageSize) -> bytes:
        config = self._config(size)
        contents = types.Content(role="user", parts=parts)
        response = self.call(
            lambda: self.client.models.generate_content(
                model=self.model_id, contents=contents, config=config
            ),
        )
        return first_image(response, self.model_id)


def _name(value: object) -> str:
    return str(getattr(value, "value", value))


def first_image(response: types.GenerateContentResponse, model_id: str) -> bytes:
    """The first inline image of a response, or NoImageReturned saying why there is none."""
    for candidate in response.candidates or []:
        for part in (candidate.content.parts if candidate.content else None) or []:
            blob = part.inline_data
            if blob and blob.data and (blob.mime_type or "").startswith("image/"):
                return blob.data
    why = "; ".join(_why_no_image(response)) or "no reason given"
    raise NoImageReturned(f"{model_id} returned no image ({why})")


def _why_no_image(response: types.GenerateContentResponse) -> list[str]:
    """Every reason a response gives for carrying no image: block, finish, the model's words."""
    why = []
    feedback = response.prompt_feedback
    if feedback and feedback.block_reason:
        why.append(f"block reason {_name(feedback.block_reason)}")
    for candidate in response.candidates or []:
        if candidate.finish_reason:
            why.append(f"finish reason {_name(candidate.finish_reason)}")
        if candidate.finish_message:
            why.append(candidate.finish_message)
    said = [
        p.text
        for c in response.candidates or []
        for p in (c.content and c.content.parts) or []
        if p.text
    ]
    why += [f"model said: {text[:200]}" for text in said]
    return why
