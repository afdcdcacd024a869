"""A procedural keyframe painter (numpy + Pillow): no network, no model, deterministic.

Each subject is rendered once as an RGBA sprite by paint_reference; every keyframe
pastes that same sprite, only moved and scaled, so a subject cannot drift between
shots. Backgrounds are smooth fields built at a capped working resolution and
upscaled, which keeps 4K frames fast without per-pixel Python loops.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fvs.media.images import ImageTooLarge, UnreadableImage, load_rgba, open_image
from fvs.providers.base import ContinuityBible, ImageSize, ShotPlan, Subject
from fvs.providers.local.looks import apply_look
from fvs.providers.local.planner import SUBJECT_NOUNS

WORK_MAX_SIDE = 1280  # backgrounds are computed at most this big, then upscaled
SUPERSAMPLE = 2  # sprites are drawn this much larger and downsampled for smooth edges
PERSON_WORDS = {noun for noun, kind in SUBJECT_NOUNS.items() if kind in ("she", "he", "they")}
SKIN_TONES = ("#f1c7a5", "#e0ac69", "#c68642", "#8d5524", "#ffdbac")
# Earliest keyword in the prompt picks the composition.
COMPOSITIONS = {
    "corridor": r"corridor|hallway|hall|archive|library|aisle|passage",
    "tunnel": r"tunnel|vortex|portal|wormhole",
    "room": r"chamber|room|interior|kitchen|office|studio|cathedral|temple|station",
    "horizon": r"sky|outdoor\w*|field|meadow|beach|desert|ocean|sea|mountain|forest|city|street|"
    r"horizon|lake|river|rooftop|bridge",
}
# An opaque reference (a photo) is shown as a portrait card of this width over height.
CARD_ASPECT = 3 / 4
FRAMES = re.compile(r"\b(photograph\w*|frames?|pictures?|paintings?|posters?|windows?)\b", re.I)
GLOW = re.compile(r"\b(glow\w*|light\w*|luminous|sunlit|neon|lamp\w*|shin\w*|radian\w*)\b", re.I)
# Subject height (share of frame height) and horizontal nudge per camera move.
FRAMING = {
    "push_in": (0.8, 0.0),
    "pull_out": (0.42, 0.0),
    "pan_left": (0.6, 0.14),
    "pan_right": (0.6, -0.14),
    "tilt_up": (0.66, 0.06),
    "tilt_down": (0.55, -0.06),
    "static": (0.6, 0.0),
}


def _seed(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _rgb(hex_colour: str) -> np.ndarray:
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32) / 255


def _colours(palette: tuple[str, ...], count: int, fallback: str) -> list[str]:
    """Exactly count colours, cycling the palette (or a seeded fallback) as needed."""
    valid = [c for c in palette if re.fullmatch(r"#[0-9a-fA-F]{6}", c)]
    if not valid:
        rng = np.random.default_rng(_seed(fallback))
        valid = ["#" + bytes(rng.integers(40, 220, 3, dtype=np.uint8)).hex() for _ in range(3)]
    return [valid[i % len(valid)] for i in range(count)]


def is_person(subject: Subject) -> bool:
    """Whether the subject reads as a person, drawn as a standing figure."""
    return any(w.strip(".,") in PERSON_WORDS for w in subject.description.lower().split())


def _dot(x: float, y: float, r: float) -> list[float]:
    return [x - r, y - r, x + r, y + r]


def _draw_figure(draw: ImageDraw.ImageDraw, h: int, colours: list[str], rng) -> None:
    """A stylised standing figure in a box h tall and h/2 wide; proportions from rng."""
    cx, coat, legs, belt, skin = h / 4, *colours
    shoulder, hem = h * rng.uniform(0.11, 0.14), h * rng.uniform(0.55, 0.66)
    limb = h * 0.045
    for side in (-1, 1):
        foot = cx + side * 0.06 * h
        draw.line(
            [(cx + side * 0.05 * h, hem - 0.04 * h), (foot, 0.95 * h)],
            fill=legs,
            width=round(h * 0.055),
        )
        draw.ellipse(_dot(foot, 0.955 * h, 0.03 * h), fill=legs)
        hand = (cx + side * (shoulder + 0.04 * h), 0.5 * h)
        draw.line([(cx + side * shoulder, 0.2 * h), hand], fill=coat, width=round(limb))
        draw.ellipse(_dot(*hand, limb * 0.7), fill=skin)
    waist = 0.09 * h
    outline = [
        (-shoulder, 0.18 * h),
        (shoulder, 0.18 * h),
        (waist, 0.42 * h),
        (shoulder * 0.95, hem),
        (-shoulder * 0.95, hem),
        (-waist, 0.42 * h),
    ]
    draw.polygon([(cx + dx, y) for dx, y in outline], fill=coat)
    draw.rectangle([cx - 0.095 * h, 0.41 * h, cx + 0.095 * h, 0.44 * h], fill=belt)
    draw.rectangle([cx - 0.022 * h, 0.13 * h, cx + 0.022 * h, 0.19 * h], fill=skin)
    draw.ellipse([cx - 0.075 * h, 0.01 * h, cx + 0.075 * h, 0.16 * h], fill=legs)  # hair
    draw.ellipse([cx - 0.058 * h, 0.04 * h, cx + 0.058 * h, 0.165 * h], fill=skin)


def _draw_shape(draw: ImageDraw.ImageDraw, h: int, colours: list[str], rng) -> None:
    """A simple rounded body with a crest and a highlight, for non-human subjects."""
    body_top = h * rng.uniform(0.35, 0.45)
    draw.ellipse([0.08 * h, body_top, 0.92 * h, 0.95 * h], fill=colours[0])
    draw.ellipse([0.3 * h, 0.08 * h, 0.7 * h, body_top + 0.15 * h], fill=colours[0])
    draw.rectangle([0.12 * h, 0.66 * h, 0.88 * h, 0.72 * h], fill=colours[1])
    draw.ellipse([0.42 * h, 0.18 * h, 0.52 * h, 0.28 * h], fill=colours[2])


def render_sprite(subject: Subject, height: int) -> Image.Image:
    """The subject as a tightly cropped RGBA sprite of the given height."""
    person = is_person(subject)
    big = max(8, height * SUPERSAMPLE)
    canvas = Image.new("RGBA", (big // 2 if person else big, big), (0, 0, 0, 0))
    colours = _colours(subject.palette, 3, subject.key)
    rng = np.random.default_rng(_seed("sprite", subject.key, subject.description))
    if person:
        colours.append(SKIN_TONES[int(rng.integers(len(SKIN_TONES)))])
    (_draw_figure if person else _draw_shape)(ImageDraw.Draw(canvas), big, colours, rng)
    canvas = canvas.crop(canvas.getbbox() or (0, 0, 1, 1))
    width = max(1, round(canvas.width * height / canvas.height))
    return canvas.resize((width, max(1, height)), Image.Resampling.LANCZOS)


def _composition(prompt: str) -> str:
    """The composition whose keyword appears earliest in the prompt, else "open"."""
    hits = []
    for name, words in COMPOSITIONS.items():
        match = re.search(rf"\b(?:{words})\b", prompt, re.I)
        if match:
            hits.append((match.start(), name))
    return min(hits)[1] if hits else "open"


def _structure(kind: str, x: np.ndarray, y: np.ndarray, aspect: float, rng) -> np.ndarray:
    """Brightness of the scene's surfaces in [0, 1] for one composition."""
    vx, vy = 0.5 + rng.uniform(-0.08, 0.08), rng.uniform(0.38, 0.5)
    dx, dy = (x - vx) * aspect, y - vy
    r = np.sqrt(dx * dx + dy * dy) + 1e-3
    if kind == "corridor":
        # One-point perspective: lines radiate from the vanishing point, far end bright.
        rays = np.clip((np.cos(np.arctan2(dy, dx) * 18) - 0.9) * 10, 0, 1) * np.clip(r * 3, 0, 1)
        walls = np.where(np.abs(dx) > np.abs(dy) * 1.6, 0.55, 0.3)
        return np.clip(walls * np.clip(r * 1.4, 0.2, 1) + 0.35 * rays + 0.6 * np.exp(-r * 9), 0, 1)
    if kind == "tunnel":
        # Rings spaced evenly in log radius read as depth.
        rings = 0.5 + 0.5 * np.cos(2 * np.pi * 5 * np.log(r))
        return np.clip(0.35 * rings * np.clip(r * 2, 0, 1) + 0.9 * np.exp(-r * 6), 0, 1)
    horizon = vy + 0.15
    if kind == "room":
        floor = y > horizon
        depth = np.clip((y - horizon) / (1 - horizon), 0, 1)
        tiles = np.clip((np.cos(np.arctan2(dy, dx) * 24) - 0.92) * 8, 0, 1) * floor
        side = (np.abs(dx) > 0.55 * aspect * (1 - 0.4 * depth)) & ~floor
        base = np.where(floor, 0.25 + 0.35 * depth, np.where(side, 0.3, 0.5))
        return np.clip(base + 0.2 * tiles, 0, 1)
    if kind == "horizon":
        sky = 0.45 + 0.5 * np.clip(1 - y / horizon, 0, 1)
        ground = 0.2 + 0.25 * np.clip((y - horizon) / (1 - horizon), 0, 1)
        band = np.exp(-(((y - horizon) / 0.03) ** 2))
        return np.clip(np.where(y < horizon, sky, ground) + 0.4 * band, 0, 1)
    return np.clip(0.25 + 0.5 * (1 - y) + 0.0 * x, 0, 1)


def _soft_rectangles(img: np.ndarray, colour: np.ndarray, rng) -> None:
    """Blend a few soft-edged floating frames into img, each on its own slice."""
    h, w, _ = img.shape
    for _ in range(int(rng.integers(5, 9))):
        rw, rh = int(w * rng.uniform(0.06, 0.13)), int(h * rng.uniform(0.1, 0.2))
        x0, y0 = int(rng.uniform(0, w - rw)), int(rng.uniform(0, h * 0.75 - rh))
        soft = max(2.0, rw * 0.12)
        yy = np.arange(rh, dtype=np.float32)[:, None]
        xx = np.arange(rw, dtype=np.float32)[None, :]
        edge = np.minimum(np.minimum(xx, rw - 1 - xx), np.minimum(yy, rh - 1 - yy))
        alpha = (np.clip(edge / soft, 0, 1) * rng.uniform(0.35, 0.6))[..., None]
        patch = img[y0 : y0 + rh, x0 : x0 + rw]
        patch[:] = patch * (1 - alpha) + colour * alpha


def _background(prompt: str, bible: ContinuityBible, size: ImageSize, rng) -> Image.Image:
    """The scene without subjects, computed small and upscaled to size."""
    scale = min(1.0, WORK_MAX_SIDE / max(size.width, size.height))
    w, h = max(2, round(size.width * scale)), max(2, round(size.height * scale))
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    palette = [_rgb(c) for c in _colours(bible.palette, max(3, len(bible.palette)), prompt)]
    dark, mid, light = palette[0] * 0.35, palette[len(palette) // 2], palette[-1]
    shade = _structure(_composition(prompt), x, y, w / h, rng)[..., None]
    img = dark + (mid - dark) * shade + (light - mid) * np.clip(shade - 0.6, 0, 1)
    # Per-shot key light: its place and strength come from the shot's own seed.
    lx, ly = rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.5)
    glow_strength = rng.uniform(0.5, 0.9) if GLOW.search(prompt) else rng.uniform(0.15, 0.35)
    d2 = ((x - lx) * w / h) ** 2 + (y - ly) ** 2
    img = img + light * (glow_strength * np.exp(-d2 / 0.08))[..., None]
    if FRAMES.search(prompt):
        _soft_rectangles(img, light * 0.9 + 0.1, rng)
    vignette = 1 - 0.45 * (((x - 0.5) * 1.4) ** 2 + ((y - 0.5) * 1.4) ** 2)
    img = np.clip(img * vignette[..., None], 0, 1)
    small = Image.fromarray((img * 255 + 0.5).astype(np.uint8), "RGB")
    return small.resize((size.width, size.height), Image.Resampling.BICUBIC)


def _load_sprite(path: Path | None) -> Image.Image | None:
    """The sprite paint_reference wrote, or None when missing, unreadable or opaque."""
    if path is None:
        return None
    try:
        with open_image(path) as image:
            if "A" not in image.getbands():
                return None
            sprite = image.convert("RGBA")
    except (OSError, ImageTooLarge, UnreadableImage):
        return None
    box = sprite.getchannel("A").getbbox()
    return sprite.crop(box) if box else None


def _place_sprite(
    frame: Image.Image, sprite: Image.Image, shot: ShotPlan, slot: int, slots: int
) -> None:
    """Paste the sprite scaled and positioned for this shot's framing."""
    share, nudge = FRAMING.get(shot.camera_move, FRAMING["static"])
    height = max(4, round(frame.height * share / (1 + 0.25 * (slots - 1))))
    width = max(1, round(sprite.width * height / sprite.height))
    scaled = sprite.resize((width, height), Image.Resampling.LANCZOS)
    centre = (slot + 1) / (slots + 1) + nudge / slots
    left = round(frame.width * centre - width / 2)
    top = round(frame.height * 0.96 - height)
    frame.paste(scaled, (left, top), scaled)


def paint_backdrop(shot: ShotPlan, bible: ContinuityBible, size: ImageSize) -> Image.Image:
    """The shot's world without its subjects, exactly as its keyframe's background."""
    prompt = shot.image_prompt or shot.text
    rng = np.random.default_rng(_seed("keyframe", shot.index, prompt, bible.palette))
    return _background(prompt, bible, size, rng)


def _card(path: Path) -> Image.Image:
    """An opaque reference (a photo) as a centred portrait card, ready to paste."""
    photo = load_rgba(path)
    width = min(photo.width, round(photo.height * CARD_ASPECT))
    height = min(photo.height, round(width / CARD_ASPECT))
    left, top = (photo.width - width) // 2, (photo.height - height) // 2
    return photo.crop((left, top, left + width, top + height))


def compose_from_references(
    shot: ShotPlan, bible: ContinuityBible, references: tuple[Path, ...], size: ImageSize
) -> Image.Image:
    """The shot's world with each reference image placed in it, in the preset's look: the
    frame a clip filmed from references starts from. A sprite keeps its cut-out; a photo
    is shown whole, as a card, since nothing here can cut its subject out."""
    frame = paint_backdrop(shot, bible, size)
    for slot, path in enumerate(references):
        sprite = _load_sprite(path) or _card(path)
        _place_sprite(frame, sprite, shot, slot, len(references))
    return apply_look(frame, bible.preset)


class LocalPainter:
    """Procedural painter: consistent subjects by pasting one sprite into every shot."""

    def paint_reference(
        self, subject: Subject, bible: ContinuityBible, size: ImageSize, out_path: Path
    ) -> Path:
        """Write the subject's RGBA sprite, centred on a transparent canvas of size."""
        sprite = render_sprite(subject, max(4, round(size.height * 0.9)))
        if sprite.width > size.width:
            height = max(1, round(sprite.height * size.width / sprite.width))
            sprite = sprite.resize((size.width, height), Image.Resampling.LANCZOS)
        canvas = Image.new("RGBA", (size.width, size.height), (0, 0, 0, 0))
        canvas.paste(sprite, ((size.width - sprite.width) // 2, (size.height - sprite.height) // 2))
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        canvas.save(out_path, format="PNG")
        return out_path

    def paint_keyframe(
        self,
        shot: ShotPlan,
        bible: ContinuityBible,
        size: ImageSize,
        references: dict[str, Path],
        out_path: Path,
    ) -> Path:
        """Write the shot's keyframe: background from the prompt, subjects from sprites."""
        frame = paint_backdrop(shot, bible, size)
        by_key = {s.key: s for s in bible.subjects}
        keys = [k for k in shot.subject_keys if k in by_key]
        for slot, key in enumerate(keys):
            # The sprite is drawn at most at frame height, so pasting only ever scales down.
            sprite = _load_sprite(references.get(key)) or render_sprite(by_key[key], size.height)
            _place_sprite(frame, sprite, shot, slot, len(keys))
        frame = apply_look(frame, bible.preset)
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        # Low zlib effort: keyframes are intermediates and 4K frames must stay fast.
        frame.save(out_path, format="PNG", compress_level=1)
        return out_path
