"""Imagen as the painter, through generate_images (Vertex `:predict`).

Imagen takes no reference images, so a subject stays the same from shot to shot
only through its description, repeated verbatim in every prompt; choose a Gemini
image model where consistency matters most.
"""

from __future__ import annotations

from pathlib import Path

from google.genai import types

from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.google.client import GoogleModel
from fvs.providers.google.painter import (
    NoImageReturned,
    image_config_for,
    keyframe_prompt,
    reference_prompt,
    save_png,
)


class ImagenPainter(GoogleModel):
    """Paints references and keyframes with an Imagen model."""

    def paint_reference(
        self, subject: Subject, bible: ContinuityBible, size: ImageSize, out_path: Path
    ) -> Path:
        """One reference image of the subject on a plain background."""
        return save_png(self._generate(reference_prompt(subject, bible), size), size, out_path)

    def paint_keyframe(
        self,
        shot: ShotPlan,
        bible: ContinuityBible,
        size: ImageSize,
        references: dict[str, Path],
        out_path: Path,
    ) -> Path:
        """The shot's first frame; its subjects are described, since Imagen takes no images."""
        described = [s.description for s in bible.subjects if s.key in shot.subject_keys]
        prompt = keyframe_prompt(shot, bible)
        if described:
            prompt += f" Subjects, exactly as described: {'; '.join(described)}."
        return save_png(self._generate(prompt, size), size, out_path)

    def _generate(self, prompt: str, size: ImageSize) -> bytes:
        label, aspect = image_config_for(size)
        config = types.GenerateImagesConfig(
            number_of_images=1,
            aspect_ratio=aspect,
            image_size="2K" if label != "1K" else "1K",
            include_rai_reason=True,
        )
        response = self.call(
            lambda: self.client.models.generate_images(
                model=self.model_id, prompt=prompt, config=config
            ),
        )
        for generated in response.generated_images or []:
            if generated.image and generated.image.image_bytes:
                return generated.image.image_bytes
        reasons = [
            g.rai_filtered_reason for g in response.generated_images or [] if g.rai_filtered_reason
        ]
        raise NoImageReturned(
            f"{self.model_id} returned no image ({'; '.join(reasons) or 'no reason given'})"
        )
