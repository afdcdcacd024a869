"""A local stand-in composer: rules turn an instruction into a tempo and a mode, and
numpy synthesises drums, bass and chords over intro, verse, chorus and outro.

The same instruction, duration and seed always give byte-identical WAV files.
"""

from __future__ import annotations

import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from fvs.providers.base import MusicRequest

SAMPLE_RATE = 44100
BEATS_PER_BAR = 4
DEFAULT_BPM = 100.0
FAST_BPM = 128.0
SLOW_BPM = 76.0
BPM_LIMITS = (50.0, 200.0)
MIN_BARS = 8
FAST_WORDS = frozenset({"upbeat", "energetic", "fast", "driving", "dance", "exciting", "lively"})
SLOW_WORDS = frozenset({"calm", "sad", "slow", "gentle", "relaxed", "peaceful", "melancholy"})
MINOR_WORDS = frozenset(
    {"sad", "dark", "melancholy", "melancholic", "tense", "somber", "sombre", "moody", "minor"}
)
EXPLICIT_BPM = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*bpm\b", re.IGNORECASE)
# Chord roots in semitones above the key, one chord per bar.
PROGRESSIONS = {
    ("major", "verse"): (0, 9, 5, 7),  # I vi IV V
    ("major", "chorus"): (5, 7, 9, 7),  # IV V vi V
    ("minor", "verse"): (0, 8, 3, 10),  # i VI III VII
    ("minor", "chorus"): (5, 3, 10, 7),  # iv III VII v
}
THIRDS = {"major": 4, "minor": 3}
Mode = Literal["major", "minor"]


@dataclass(frozen=True)
class Section:
    name: str
    start_seconds: float
    end_seconds: float


@dataclass(frozen=True)
class Composition:
    path: Path
    bpm: float
    mode: Mode
    duration_seconds: float
    sections: tuple[Section, ...]


def _words(instruction: str) -> set[str]:
    return set(re.findall(r"[a-z]+", instruction.lower()))


def tempo_for(instruction: str) -> float:
    """Return the tempo an instruction asks for: an explicit "N bpm" wins, then mood words."""
    if match := EXPLICIT_BPM.search(instruction):
        return min(max(float(match.group(1)), BPM_LIMITS[0]), BPM_LIMITS[1])
    words = _words(instruction)
    fast, slow = bool(words & FAST_WORDS), bool(words & SLOW_WORDS)
    if fast and not slow:
        return FAST_BPM
    if slow and not fast:
        return SLOW_BPM
    return DEFAULT_BPM


def mode_for(instruction: str) -> Mode:
    """Return minor for sad or dark instructions, else major."""
    return "minor" if _words(instruction) & MINOR_WORDS else "major"


def section_bars(total_bars: int) -> tuple[tuple[str, int], ...]:
    """Share a number of bars among intro, verse, chorus and outro."""
    edge = max(2, round(total_bars * 0.15))
    middle = total_bars - 2 * edge
    return (
        ("intro", edge),
        ("verse", middle // 2),
        ("chorus", middle - middle // 2),
        ("outro", edge),
    )


def _hz(semitones_above_a: float) -> float:
    return 110.0 * 2 ** (semitones_above_a / 12)


def _decay(seconds: float, tau: float) -> np.ndarray:
    return np.exp(-np.arange(int(seconds * SAMPLE_RATE)) / (tau * SAMPLE_RATE))


def _kick() -> np.ndarray:
    t = np.arange(int(0.25 * SAMPLE_RATE)) / SAMPLE_RATE
    sweep = 2 * np.pi * np.cumsum(50 + 90 * np.exp(-t / 0.03)) / SAMPLE_RATE
    return np.sin(sweep) * _decay(0.25, 0.07)


def _noise_hit(rng: np.random.Generator, seconds: float, tau: float) -> np.ndarray:
    noise = rng.standard_normal(int(seconds * SAMPLE_RATE))
    return np.diff(noise, prepend=0.0) * 0.5 * _decay(seconds, tau)


def _tone(hz: float, seconds: float, harmonics: int, tau: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave_ = sum(np.sin(2 * np.pi * hz * k * t) / k for k in range(1, harmonics + 1))
    return np.asarray(wave_) * _decay(seconds, tau)


def _add(track: np.ndarray, at: float, sound: np.ndarray, gain: float) -> None:
    start = int(round(at * SAMPLE_RATE))
    end = min(len(track), start + len(sound))
    if start < end:
        track[start:end] += gain * sound[: end - start]


class _Band:
    """One synthesised performance: the instruments and the key they play in."""

    def __init__(self, *, bpm: float, mode: Mode, seed: int, total_seconds: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.beat = 60.0 / bpm
        self.mode = mode
        self.key = int(self.rng.integers(0, 7))
        self.track = np.zeros(int(round(total_seconds * SAMPLE_RATE)) + SAMPLE_RATE // 2)
        self.kick = _kick()

    def drums(self, name: str, bar_start: float) -> None:
        """Kicks on every beat (the downbeat loudest), snares and hats as the section asks."""
        full = name in ("verse", "chorus")
        for beat in range(BEATS_PER_BAR):
            at = bar_start + beat * self.beat
            _add(self.track, at, self.kick, 1.0 if beat == 0 else 0.45)
            if full and beat % 2 == 1:
                _add(self.track, at, _noise_hit(self.rng, 0.2, 0.05), 0.35)
            if name in ("intro", "chorus"):
                hat = _noise_hit(self.rng, 0.05, 0.01)
                _add(self.track, at + self.beat / 2, np.diff(hat, prepend=0.0), 0.25)

    def harmony(self, name: str, bar_start: float, bar_index: int) -> None:
        """A sustained triad over the bar and, in verse and chorus, a bass note on each beat."""
        if name == "intro":  # drums alone, so the verse's entry is a clear change
            return
        part = "chorus" if name == "chorus" else "verse"
        progression = PROGRESSIONS[(self.mode, part)]
        root = self.key + progression[bar_index % len(progression)]
        bar_seconds = BEATS_PER_BAR * self.beat
        # Each section sounds different, so the analysis (and a viewer) hears it change.
        register, harmonics = {"chorus": (24, 6), "verse": (12, 2)}.get(name, (0, 1))
        for interval in (0, THIRDS[self.mode], 7):
            pad = _tone(_hz(root + interval + register), bar_seconds, harmonics, bar_seconds)
            _add(self.track, bar_start, pad, 0.06)
        if name in ("verse", "chorus"):
            for beat in range(BEATS_PER_BAR):
                note = _tone(_hz(root - 12), self.beat, 4, self.beat / 3)
                _add(self.track, bar_start + beat * self.beat, note, 0.25)

    def play(self, bars: tuple[tuple[str, int], ...]) -> tuple[Section, ...]:
        """Play every section in turn and return where each one lies."""
        sections, bar = [], 0
        for name, count in bars:
            start = bar * BEATS_PER_BAR * self.beat
            for index in range(count):
                bar_start = (bar + index) * BEATS_PER_BAR * self.beat
                self.drums(name, bar_start)
                self.harmony(name, bar_start, index)
            bar += count
            sections.append(Section(name, start, bar * BEATS_PER_BAR * self.beat))
        return tuple(sections)


def _write_wav(path: Path, samples: np.ndarray) -> None:
    peak = float(np.max(np.abs(samples))) or 1.0
    pcm = np.round(samples / peak * 0.8 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


class LocalComposer:
    """Writes an instrumental WAV for an instruction, without any outside service."""

    def compose(self, request: MusicRequest, out_path: Path) -> Path:
        """Write the track for a request (the Composer protocol)."""
        return self.compose_track(
            request.instruction,
            duration_seconds=request.duration_seconds,
            seed=request.seed,
            output=out_path,
        ).path

    def compose_track(
        self, instruction: str, *, duration_seconds: float, seed: int, output: Path
    ) -> Composition:
        """Synthesise about duration_seconds of music (whole bars) into output as WAV."""
        bpm, mode = tempo_for(instruction), mode_for(instruction)
        bar_seconds = BEATS_PER_BAR * 60.0 / bpm
        # Whole bars, never shorter than asked: the film is cut to the track's beats.
        total_bars = max(MIN_BARS, math.ceil(duration_seconds / bar_seconds - 1e-9))
        band = _Band(bpm=bpm, mode=mode, seed=seed, total_seconds=total_bars * bar_seconds)
        sections = band.play(section_bars(total_bars))
        # The last notes ring for half a second past the final bar.
        _write_wav(output, band.track)
        return Composition(
            path=output,
            bpm=bpm,
            mode=mode,
            duration_seconds=len(band.track) / SAMPLE_RATE,
            sections=sections,
        )
