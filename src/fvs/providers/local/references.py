"""What the local planner makes of the user's reference images, and how it says so.

Images dress the recurring subjects in screenplay order: the first readable image
dresses the first subject, the second the second. Images left over (or every image,
when the screenplay names no recurring subject) set the world's style palette. Each
image's use is reported back, so the render's status can list it, or say why not.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from fvs.media.images import load_rgb
from fvs.providers.base import ReferenceUse
from fvs.providers.local.subjects import Candidate

STYLE_PALETTE = "style palette"
MAX_STYLE_COLOURS = 5
# Hue (degrees, upper bound) -> name, for the prompt's "Lit in ..." words.
HUE_NAMES = (
    (15, "red"),
    (45, "orange"),
    (70, "yellow"),
    (165, "green"),
    (200, "teal"),
    (255, "blue"),
    (290, "violet"),
    (335, "magenta"),
    (360, "red"),
)


@dataclass(frozen=True)
class Dressing:
    """Reference images shared out: subject palettes by subject order, the style palette."""

    subject_palettes: dict[int, tuple[str, ...]]
    style: tuple[str, ...]  # darkest first; empty when no image set the style
    uses: tuple[ReferenceUse, ...]


def image_palette(path: Path) -> tuple[str, ...] | None:
    """Up to three dominant colours of an image, most common first; None if unreadable."""
    try:
        small = load_rgb(path, reduce_to=(64, 64)).resize((64, 64))
    except (OSError, UnidentifiedImageError, ValueError):  # ImageTooLarge is a ValueError
        return None
    quantised = small.quantize(colors=3, method=Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    counts = sorted(quantised.getcolors() or [], reverse=True)
    colours = []
    for _, idx in counts:
        start = int(idx) * 3  # type: ignore[call-overload]
        colour = "#{:02x}{:02x}{:02x}".format(*palette[start : start + 3])
        if colour not in colours:
            colours.append(colour)
    return tuple(colours) if colours else None


def dress(subjects: list[Candidate], images: tuple[Path, ...]) -> Dressing:
    """Give each readable image to the next undressed subject, the rest to the style palette."""
    dressed: dict[int, tuple[str, ...]] = {}
    style: list[tuple[str, ...]] = []
    uses = []
    for index, palette in enumerate(map(image_palette, images)):
        if palette is None:
            uses.append(
                ReferenceUse(index=index, used_as=None, why="it could not be read as an image")
            )
        elif len(dressed) < len(subjects):
            label = subjects[len(dressed)].label
            uses.append(ReferenceUse(index=index, used_as=f"subject reference for {label}"))
            dressed[len(dressed)] = palette
        else:
            why = (
                "every recurring subject already has a reference"
                if subjects
                else "the screenplay names no recurring subject"
            )
            uses.append(ReferenceUse(index=index, used_as=STYLE_PALETTE, why=why))
            style.append(palette)
    return Dressing(dressed, _style_palette(style), tuple(uses))


def _style_palette(palettes: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The images' colours taken in turn, darkest first; one flat image still gets contrast."""
    colours: list[str] = []
    for rank in range(max((len(p) for p in palettes), default=0)):
        colours += [p[rank] for p in palettes if rank < len(p) and p[rank] not in colours]
    colours = colours[:MAX_STYLE_COLOURS]
    if colours and len(colours) < 3:
        colours += [_shade(colours[0], 0.35), _shade(colours[0], 1.6)][: 3 - len(colours)]
    return tuple(sorted(colours, key=_lightness))


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return r, g, b


def _shade(hex_colour: str, factor: float) -> str:
    hue, light, sat = colorsys.rgb_to_hls(*_rgb(hex_colour))
    r, g, b = colorsys.hls_to_rgb(hue, min(0.95, max(0.05, light * factor)), sat)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _lightness(hex_colour: str) -> float:
    return colorsys.rgb_to_hls(*_rgb(hex_colour))[1]


def colour_name(hex_colour: str) -> str:
    """A plain name for a colour, e.g. "dark teal" or "pale orange"."""
    hue, light, sat = colorsys.rgb_to_hls(*_rgb(hex_colour))
    if sat < 0.15 or light < 0.06 or light > 0.94:
        return "black" if light < 0.15 else "white" if light > 0.85 else "grey"
    name = next(name for bound, name in HUE_NAMES if hue * 360 <= bound)
    return f"dark {name}" if light < 0.3 else f"pale {name}" if light > 0.75 else name
