"""A soundtrack's measured structure, as stored on a project: data only, no decoding.

Kept apart from music_analysis so that pure planners (providers/beats.py) can read it
without importing librosa or PyAV.
"""

from __future__ import annotations

from pydantic import BaseModel


class MusicSection(BaseModel):
    start_seconds: float
    end_seconds: float


class MusicAnalysis(BaseModel):
    """A track's measured structure, stored on a project as JSON."""

    duration_seconds: float
    bpm: float
    beats: list[float]
    downbeats: list[float]
    sections: list[MusicSection]
    onset_strength_hop_seconds: float
    onset_strength: list[float]  # normalised to 0..1, one value per hop
