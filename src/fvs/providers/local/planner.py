"""A rule-based planner: screenplay in, shot list and continuity bible out, no network.

Everything is derived from the words of the request, so the same request always
gives the same plan and a render can be resumed or re-planned identically.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from pathlib import Path

from fvs.providers.base import (
    CAMERA_MOVES,
    ContinuityBible,
    Plan,
    PlanRequest,
    ShotPlan,
    Subject,
)
from fvs.providers.durations import give_length_to, plan_durations
from fvs.providers.local import references
from fvs.providers.local.subjects import SUBJECT_NOUNS as SUBJECT_NOUNS  # for the painter
from fvs.providers.local.subjects import Candidate, find_recurring, modifiers

NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
MARKER = re.compile(
    rf"\bshot\s+(?:\d+|{'|'.join(NUMBER_WORDS)})\s*[:\-\u2013\u2014.)]\s*", re.IGNORECASE
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


# Split points inside a beat: (pattern, keep the joining word in the second half).
CLAUSE_BREAKS = tuple(
    (f" {w} " if w.isalpha() else f"{w} ", w in ("then", "as", "while"))
    for w in (", then", ";", ",", "and", "then", "as", "while")
)
CONTINUATIONS = ("closer angle", "reverse angle", "detail shot", "wide angle")

# Camera keywords; the move with most hits wins, earliest hit breaks ties.
CAMERA_WORDS = {
    "push_in": r"enter\w*|approach\w*|reach\w*|toward\w*|closer|close-up|lean\w*",
    "pull_out": r"reveal\w*|arriv\w*|wide|vast|emerg\w*|leav\w*|retreat\w*",
    "pan": r"orbit\w*|circl\w*|around|swirl\w*|turn\w*|spin\w*|sweep\w*",
    "tilt_up": r"rise\w*|rising|rose|look\w* up|climb\w*|ascend\w*|overhead|soar\w*",
    "tilt_down": r"fall\w*|fell|descend\w*|sink\w*|drop\w*|look\w* down|kneel\w*",
}
FALLBACK_MOVES = ("push_in", "pan_right", "pull_out", "tilt_up", "pan_left", "tilt_down")
CAMERA_TEXT = (
    "pushes in toward the subject|pulls out to reveal the space|pans left around the action|"
    "pans right around the action|tilts up|tilts down|holds a locked-off frame"
)
CAMERA_PHRASES = dict(zip(CAMERA_MOVES, _words(CAMERA_TEXT, "|"), strict=True))
STRONG_MOTION = re.compile(
    r"\b(strong|dynamic|energetic|bold|sweeping|kinetic)\b[^.]*\b(camera|motion|movement)", re.I
)
STATIC_WISH = re.compile(r"\b(static|locked[- ]off|still camera|tripod)\b", re.I)

SETTING_NOUNS = _words(
    "corridor hallway hall tunnel chamber room library archive street alley city forest beach "
    "desert ocean sea sky field meadow mountain station kitchen garden rooftop cave bridge lake "
    "river harbor temple cathedral market studio office laboratory void platform"
)
SETTING_PHRASE = re.compile(
    rf"\b(?:a|an|the)\s+((?:[a-z'-]+\s+){{0,3}}(?:{'|'.join(SETTING_NOUNS)}))\b", re.I
)

# Light and colour words -> (colour name, hex) for the world palette.
LIGHT_TEXT = (
    "glowing:warm_amber:#f2a541 glow:warm_amber:#f2a541 luminous:pale_gold:#ffe7a3 "
    "sunlit:sunlight_yellow:#ffd166 sunset:sunset_orange:#f46036 dawn:dawn_pink:#f7b2bd "
    "neon:neon_magenta:#ff2bd6 night:midnight_blue:#0b1633 dusk:dusky_violet:#5b3a6e "
    "moonlit:moonlight_silver:#c9d6e3 forest:forest_green:#1f4d2b ocean:ocean_teal:#0e4d64 "
    "sea:sea_blue:#1b5e83 fire:flame_orange:#e25822 snow:snow_white:#eef3f7 "
    "desert:sand:#d8a657 rain:rain_slate:#4a5a6a shadow:deep_shadow:#14121c "
    "dark:deep_shadow:#14121c archive:archive_sepia:#6b4f3a memory:faded_rose:#c98b8b "
    "gold:gold:#d4af37 silver:silver:#c0c0c8 red:crimson:#b3202a blue:cobalt:#1f4fa8 "
    "green:emerald:#1f8a5b"
)
LIGHT_WORDS = {
    word: (name.replace("_", " "), colour)
    for word, name, colour in (entry.split(":") for entry in _words(LIGHT_TEXT))
}
# Places and light are what subjects stand in, never subjects themselves.
NOT_SUBJECT_WORDS = frozenset(SETTING_NOUNS) | frozenset(LIGHT_WORDS)
STYLE_TEXT = (
    "cinematic|realistic lighting|photorealistic|realistic|film noir|noir|anime|watercolor|"
    "documentary|dreamlike|dreamy|moody|vintage|shallow depth of field|high contrast|soft light"
)
STYLE_TERMS = _words(STYLE_TEXT, "|")
TEXT_WORDS = r"(subtitles?|captions?|text|titles?|title cards?|overlays?|lettering)"
NO_TEXT = re.compile(rf"\b(no|without|avoid|never|don't|do not)\b[^.]*\b{TEXT_WORDS}\b", re.I)
WANT_TEXT = re.compile(rf"\b(add|include|with|show|use|burn in)\b[^.]*\b{TEXT_WORDS}\b", re.I)


def _tidy(text: str) -> str:
    text = text.strip(" ,;")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?)\"'" else text + "."


def _initial_beats(screenplay: str) -> list[str]:
    """Beats from "Shot N:" markers when present, else from sentences."""
    text = " ".join(screenplay.split())
    parts = MARKER.split(text)
    if len(parts) > 1:
        beats = [p.strip() for p in parts[1:]]
        if parts[0].strip():
            # Keep a preamble: it usually sets the scene for the first shot.
            beats[0] = f"{parts[0].strip()} {beats[0]}"
    else:
        beats = SENTENCE_END.split(text)
    return [_tidy(b) for b in beats if b.strip(" ,;.")]


def _split_clause(beat: str) -> tuple[str, str] | None:
    """Split a beat at the clause boundary nearest its middle, or None if it has none."""
    lower, middle, best = beat.lower(), len(beat) / 2, None
    for pattern, keep_word in CLAUSE_BREAKS:
        for match in re.finditer(re.escape(pattern), lower):
            cut = match.start() + (1 if keep_word else len(pattern))
            head, tail = beat[: match.start()], beat[cut:]
            if len(head.split()) < 2 or len(tail.split()) < 2:
                continue
            if best is None or abs(match.start() - middle) < abs(best[0] - middle):
                best = (match.start(), head, tail)
    return None if best is None else (_tidy(best[1]), _tidy(best[2]))


def _merge_evenly(beats: list[str], count: int) -> list[str]:
    size, extra = divmod(len(beats), count)
    merged, start = [], 0
    for group in range(count):
        end = start + size + (1 if group < extra else 0)
        merged.append(" ".join(beats[start:end]))
        start = end
    return merged


def split_beats(screenplay: str, shot_count: int) -> list[str]:
    """Exactly shot_count non-empty screenplay beats, one per shot."""
    beats = _initial_beats(screenplay) or ["An establishing shot of the scene."]
    while len(beats) < shot_count:
        order = sorted(range(len(beats)), key=lambda i: (-len(beats[i]), i))
        for i in order:
            halves = _split_clause(beats[i])
            if halves:
                beats[i : i + 1] = list(halves)
                break
        else:
            break
    base = beats[-1]
    for n in range(shot_count - len(beats)):
        angle = CONTINUATIONS[n % len(CONTINUATIONS)]
        beats.append(f"{base} (continued: {angle})")
    return _merge_evenly(beats, shot_count) if len(beats) > shot_count else beats


def _ranked_moves(beat: str, index: int) -> list[str]:
    """Camera moves the beat's words suggest, best first."""
    scored = []
    for move, words in CAMERA_WORDS.items():
        hits = [m.start() for m in re.finditer(rf"\b(?:{words})\b", beat, re.I)]
        if hits:
            scored.append((-len(hits), hits[0], move))
    moves = []
    for _, _, move in sorted(scored):
        # Orbiting action reads as a pan; alternate the side so cuts do not repeat.
        moves += ["pan_left", "pan_right"][:: 1 if index % 2 else -1] if move == "pan" else [move]
    return moves


def choose_camera_moves(beats: list[str], instructions: str) -> list[str]:
    """One move per beat, from its words, never the same move twice in a row."""
    strong = bool(STRONG_MOTION.search(instructions))
    static_ok = not strong and bool(STATIC_WISH.search(instructions))
    moves: list[str] = []
    for index, beat in enumerate(beats):
        previous = moves[-1] if moves else None
        options = _ranked_moves(beat, index)
        if static_ok and not options:
            options = ["static"]
        rotated = FALLBACK_MOVES[index % len(FALLBACK_MOVES) :] + FALLBACK_MOVES
        options += list(rotated)
        moves.append(next(m for m in options if m != previous))
    return moves


def _hsv_hex(hue: float, sat: float, val: float) -> str:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, sat, val)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _hashed_palette(text: str) -> tuple[str, ...]:
    """Three colours (main, dark, light) that depend only on the text."""
    hue = _digest(text)[0] / 255
    shades = ((0.0, 0.55, 0.78), (0.08, 0.5, 0.3), (0.5, 0.25, 0.92))
    return tuple(_hsv_hex(hue + shift, sat, val) for shift, sat, val in shades)


def find_subjects(
    beats: list[str], reference_images: tuple[Path, ...] = ()
) -> tuple[list[tuple[Subject, set[int]]], references.Dressing]:
    """Recurring subjects as (Subject, beat indices), dressed in the reference images' colours."""
    found = find_recurring(beats, ignore=NOT_SUBJECT_WORDS)
    dressing = references.dress(found, reference_images)
    return [_subject(c, dressing.subject_palettes.get(i)) for i, c in enumerate(found)], dressing


def _subject(found: Candidate, palette: tuple[str, ...] | None) -> tuple[Subject, set[int]]:
    subject = Subject(
        key=found.key,
        description=found.description,
        palette=palette or _hashed_palette(found.key),
    )
    return subject, found.beats


def _place(text: str, last: bool) -> str | None:
    matches = list(SETTING_PHRASE.finditer(text))
    if not matches:
        return None
    match = matches[-1] if last else matches[0]
    return " ".join(modifiers(match.group(1))) or None


def world_palette(screenplay: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """World colours (darkest first) and their names, from light and colour words."""
    named: dict[str, str] = {}
    for word in re.findall(r"[a-z]+", screenplay.lower()):
        if word not in LIGHT_WORDS:
            continue
        name, colour = LIGHT_WORDS[word]
        if colour not in named.values() and len(named) < 5:
            named[name] = colour
    fallback = _hashed_palette(screenplay)
    # Always anchor the palette with a dark base so frames keep contrast.
    for name, colour in (
        ("shadow base", _hsv_hex(_digest(screenplay)[1] / 255, 0.5, 0.12)),
        ("accent", fallback[0]),
        ("highlight", fallback[2]),
    ):
        if len(named) >= 3:
            break
        named[name] = colour
    ordered = sorted(named.items(), key=lambda item: _luminance(item[1]))
    return tuple(c for _, c in ordered), tuple(n for n, _ in ordered)


def _palette(screenplay: str, style: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reference images' style palette when they set one, else the screenplay's colours."""
    if style:
        return style, tuple(references.colour_name(c) for c in style)
    return world_palette(screenplay)


def style_from(instructions: str) -> str:
    """Visual style terms named in the instructions, or a neutral cinematic default."""
    lower, terms = instructions.lower(), list[str]()
    for term in STYLE_TERMS:
        if re.search(rf"\b{term}\b", lower) and not any(term in t for t in terms):
            terms.append(term)
    return ", ".join(terms) if terms else "cinematic, natural lighting"


def overlays_allowed(instructions: str) -> bool:
    """Text on screen only when explicitly requested and never when forbidden."""
    return not NO_TEXT.search(instructions) and bool(WANT_TEXT.search(instructions))


def _image_prompt(
    place: str,
    present: list[Subject],
    beat: str,
    bible: ContinuityBible,
    colour_names: tuple[str, ...],
) -> str:
    """Place first (the painter picks its composition from the earliest place word)."""
    people = "".join(f" Subject: {s.description} ({', '.join(s.palette)})." for s in present)
    no_text = "" if bible.text_overlays_allowed else " No text, subtitles or lettering."
    return (
        f"{place[0].upper()}{place[1:]}.{people} Moment: {beat} "
        f"Lit in {', '.join(colour_names)}. Style: {bible.style}.{no_text}"
    )


def _video_prompt(beat: str, move: str, strong: bool, bible: ContinuityBible) -> str:
    motion = f"The camera {CAMERA_PHRASES[move]}{' with strong, smooth motion' if strong else ''}"
    no_text = "" if bible.text_overlays_allowed else " No subtitles or on-screen text."
    return f"{beat} {motion}. Style: {bible.style}.{no_text}"


def film_sources(
    present: list[list[Subject]],
    seconds: tuple[int, ...],
    reference_seconds: int | None,
    *,
    fixed: bool = False,
) -> tuple[tuple[int, ...], list[str]]:
    """Each shot's length and how it is filmed: a shot showing a subject is filmed from the
    subjects' reference images when the video model can film it so (it then gets one of the
    plan's clips of reference_seconds, if any is left); every other shot from its keyframe.
    Fixed lengths (music mode's beat grid) are kept: only its reference-length shots qualify."""
    if reference_seconds is None:
        return seconds, ["keyframe"] * len(seconds)
    wanted = [bool(subjects) for subjects in present]
    if not fixed:
        seconds = give_length_to(seconds, wanted, reference_seconds)
    sources = [
        "references" if want and length == reference_seconds else "keyframe"
        for want, length in zip(wanted, seconds, strict=True)
    ]
    return seconds, sources


# A beat that opens on a jump in time or place is reached through black, not a blend.
TIME_JUMP = re.compile(
    r"^\W*(later|meanwhile|elsewhere|that night|the next|next (day|morning|night)|"
    r"(hours|days|weeks|months|years) later|by (morning|nightfall|dawn)|at (dawn|dusk))\b",
    re.IGNORECASE,
)


def choose_transitions(beats: list[str], request: PlanRequest) -> list[str]:
    """Each shot's transition into the next: a dip to black before a jump in time, where
    the render's transition allows the choice; the render's own everywhere else."""
    choices = request.transition_choices
    chosen = []
    for following in [*beats[1:], ""]:
        if "dip_to_black" in choices and following and TIME_JUMP.search(following):
            chosen.append("dip_to_black")
        elif "crossfade" in choices:
            chosen.append("crossfade")
        else:
            chosen.append(request.transition)
    return chosen


class LocalPlanner:
    """Deterministic, offline planner built from the words of the request."""

    def plan(self, request: PlanRequest) -> Plan:
        """Shot list and continuity bible for the request; same request, same plan."""
        beats = split_beats(request.screenplay, request.shot_count)
        allowed = request.allowed_durations
        seconds = request.shot_durations or plan_durations(
            request.shot_count, request.target_seconds, allowed
        )
        moves = choose_camera_moves(beats, request.instructions)
        subjects, dressing = find_subjects(beats, tuple(request.reference_images))
        palette, colour_names = _palette(request.screenplay, dressing.style)
        bible = ContinuityBible(
            subjects=tuple(s for s, _ in subjects),
            setting=_place(request.screenplay, last=False) or "an evocative location",
            palette=palette,
            style=style_from(request.instructions),
            text_overlays_allowed=overlays_allowed(request.instructions),
        )
        strong = bool(STRONG_MOTION.search(request.instructions))
        present = [[s for s, where in subjects if i in where] for i in range(len(beats))]
        seconds, sources = film_sources(
            present, tuple(seconds), request.reference_seconds, fixed=bool(request.shot_durations)
        )
        shots, place = [], bible.setting
        cuts = choose_transitions(beats, request)
        for index, (beat, move) in enumerate(zip(beats, moves, strict=True)):
            # A beat that names no place stays where the previous shot was.
            place = _place(beat, last=True) or place
            image = _image_prompt(place, present[index], beat, bible, colour_names)
            video = _video_prompt(beat, move, strong, bible)
            keys = tuple(s.key for s in present[index])
            shots.append(
                ShotPlan(
                    index=index,
                    text=beat,
                    image_prompt=image,
                    video_prompt=video,
                    camera_move=move,
                    duration_seconds=seconds[index],
                    subject_keys=keys,
                    transition=cuts[index],
                    transition_seconds=request.transition_seconds,
                    filmed_from=sources[index],
                )
            )
        return Plan(shots=tuple(shots), bible=bible, reference_uses=dressing.uses)
