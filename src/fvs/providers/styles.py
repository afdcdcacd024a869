"""Visual style presets: one look per render, named in every prompt and painted locally."""

from __future__ import annotations

DEFAULT_PRESET = "realistic_cinematic"
# What each preset asks of the planner, the image model and the video model.
PRESETS: dict[str, str] = {
    "realistic_cinematic": "photorealistic cinematic live action, natural lighting, shallow depth "
    "of field",
    "anime": "2D anime cel animation, clean ink outlines, flat cel shading, vivid saturated "
    "colours",
    "3d_animation": "polished 3D animated feature film, soft global illumination, rounded forms",
    "claymation": "stop-motion claymation, handmade plasticine figures and sets, thumbprint "
    "texture",
    "watercolor": "hand-painted watercolour illustration, soft bleeding edges, paper texture, "
    "light washes",
    "noir": "black-and-white film noir, hard low-key lighting, deep shadows, high contrast",
    "documentary": "handheld documentary footage, available light, muted natural colours",
    "vintage_film": "vintage 1970s 35 mm film, warm faded colours, visible grain, soft vignette",
}
PRESET_NAMES = tuple(PRESETS)


def describe(preset: str) -> str:
    """The prompt phrase of a preset (the default's for a name this studio does not know)."""
    return PRESETS.get(preset, PRESETS[DEFAULT_PRESET])


def styled(prompt: str, preset: str) -> str:
    """A prompt with the preset's look appended, once."""
    phrase = describe(preset)
    return prompt if phrase in prompt else f"{prompt.rstrip()} Visual style: {phrase}."
