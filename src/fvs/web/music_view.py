"""A music project's track as the studio shows it: the waveform PNG with beats and cuts.

`project_music` is the one place that reads a project's music data (`projects.music`,
migration 0008); a project without any shows no waveform.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from fvs.media.music import MusicAnalysis
from fvs.media.waveform import draw_waveform
from fvs.models.projects import Project
from fvs.storage.base import MediaStorage


class ProjectMusic(BaseModel):
    """A music project's track: where it came from, where it is stored, how it was measured."""

    source: Literal["uploaded", "composed"]
    track_key: str
    analysis: MusicAnalysis
    end_seconds: float


def project_music(project: Project) -> ProjectMusic | None:
    """The project's music data, or None when it has none."""
    return None if not project.music else ProjectMusic.model_validate(project.music)


def cut_points(project: Project) -> list[float]:
    """Where the plan's shots meet: each shot's start after the first, in seconds."""
    shots = (project.plan or {}).get("shots") or []
    starts = (s.get("start_seconds") for s in shots if isinstance(s, dict))
    return sorted(float(t) for t in starts if isinstance(t, int | float) and t > 0)


def waveform_png(project: Project, music: ProjectMusic, storage: MediaStorage) -> bytes:
    """The track drawn with its sections, beats and the plan's cut points, as PNG bytes."""
    with storage.workspace(project.id) as files, tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "waveform.png"
        draw_waveform(files.input(music.track_key), music.analysis, cut_points(project), out)
        return out.read_bytes()
