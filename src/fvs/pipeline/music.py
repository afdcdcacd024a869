"""Music mode's planning: the track (uploaded or composed), its beats, and the beat-cut shots.

The planning step calls `prepare_track` before the planner, so the planner is asked
for exactly the shots the beat grid allows, and `fit_to_track` after it, so each shot
carries its exact span on the track and the lyrics sung over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fvs.media.music import MusicAnalysis
from fvs.media.music_analysis import analyse_music
from fvs.options.resolved import ResolvedRender
from fvs.pipeline.common import runs_on
from fvs.pipeline.requested_assets import DescribedUpload
from fvs.providers.base import MusicRequest, Plan
from fvs.providers.beats import CutPlan, CutPlanError, plan_cuts
from fvs.providers.lyrics import lyrics_by_shot
from fvs.storage.base import project_key
from fvs.studio import Studio

MAX_SHOTS = 64
COMPOSED_KEY = "music/composed.wav"
# Without a steady beat (ambient music, speech) shots are cut on this grid instead.
FALLBACK_GRID_SECONDS = 0.5


@dataclass(frozen=True)
class Track:
    """A music render's soundtrack as planning measured and cut it."""

    key: str  # where the track is stored (the upload, or the composed file)
    source: str  # uploaded | composed
    analysis: MusicAnalysis
    cut: CutPlan
    notes: tuple[str, ...] = ()

    def stored(self) -> dict[str, object]:
        """What the project keeps of the track (projects.music)."""
        return {
            "source": self.source,
            "track_key": self.key,
            "analysis": self.analysis.model_dump(mode="json"),
            "end_seconds": self.cut.end_seconds,
        }


def _uploaded_key(render: ResolvedRender, described: list[DescribedUpload]) -> str | None:
    for d in described:
        if d.asset.kind == "audio" and d.asset.filename == render.track_upload:
            return d.asset.path
    return None


def _compose(studio: Studio, project_id: str, render: ResolvedRender) -> str:
    key = project_key(project_id, COMPOSED_KEY)
    if studio.storage.size(key) is not None:
        return key  # a retried step: the track was composed (and paid for) already
    brief = " ".join(p for p in (render.instructions, render.screenplay) if p)
    request = MusicRequest(
        instruction=brief or "an instrumental for a short film",
        duration_seconds=render.scene_target_duration_seconds,
        seed=render.seed or 0,
    )
    composer = studio.providers.composer(runs_on(render, "music"))
    with studio.storage.workspace(project_id) as workspace:
        composer.compose(request, workspace.output(key, "audio/wav"))
    return key


def _cut(analysis: MusicAnalysis, render: ResolvedRender) -> tuple[CutPlan, list[str]]:
    """The beat-cut plan, with notes where the request could not be followed to the letter."""
    allowed = render.runs_on("video").durations
    wanted = render.requested_shot_count

    def cut_on(beats: MusicAnalysis, count: int | None) -> CutPlan:
        return plan_cuts(
            beats,
            allowed_durations=allowed,
            target_seconds=render.scene_target_duration_seconds,
            shot_count=count,
        )

    notes = []
    try:
        cut = cut_on(analysis, wanted)
    except CutPlanError:
        grid = analysis.duration_seconds / FALLBACK_GRID_SECONDS
        beats = [round(i * FALLBACK_GRID_SECONDS, 4) for i in range(1, math.ceil(grid))]
        analysis = analysis.model_copy(update={"beats": beats, "downbeats": beats[::4]})
        cut = cut_on(analysis, wanted)
        notes.append(
            "the track has no steady beat the video model's clips can follow; "
            f"shots are cut on a {FALLBACK_GRID_SECONDS} s grid"
        )
    if len(cut.shots) > MAX_SHOTS:
        cut = cut_on(analysis, MAX_SHOTS)
    if wanted is not None and len(cut.shots) != wanted:
        notes.append(
            f"shot_count {wanted} was raised to {len(cut.shots)}: the video model films at "
            f"most {max(allowed)} s a clip, and every cut lands on a beat"
        )
    return cut, notes


def prepare_track(
    studio: Studio, project_id: str, render: ResolvedRender, described: list[DescribedUpload]
) -> Track:
    """Find or compose the track, measure its beats and cut the film's shots on them."""
    key = _uploaded_key(render, described)
    source = "uploaded" if key else "composed"
    key = key or _compose(studio, project_id, render)
    with studio.storage.workspace(project_id) as workspace:
        analysis = analyse_music(workspace.input(key))
    cut, notes = _cut(analysis, render)
    target = render.scene_target_duration_seconds
    if source == "uploaded" and target > analysis.duration_seconds + 0.5:
        notes.append(
            f"the track lasts {analysis.duration_seconds:.1f} s, less than the "
            f"{target:g} s target; the film lasts as long as the track"
        )
    return Track(key=key, source=source, analysis=analysis, cut=cut, notes=tuple(notes))


def planner_brief(render: ResolvedRender, track: Track) -> tuple[str, str]:
    """The screenplay and instructions the planner sees for a music render."""
    screenplay = render.screenplay or render.instructions or render.lyrics
    music = (
        f"This is a music video: {len(track.cut.shots)} shots cut on the beats of a "
        f"{track.analysis.bpm:.0f} BPM track lasting {track.cut.end_seconds:.1f} s."
    )
    lyrics = (
        f"\nLyrics (for mood and imagery; never draw them as text unless asked):\n{render.lyrics}"
        if render.lyrics
        else ""
    )
    return screenplay, "\n".join(p for p in (render.instructions, music) if p) + lyrics


def fit_to_track(plan: Plan, track: Track, render: ResolvedRender) -> Plan:
    """The plan with each shot's span on the track, its clip length and its lyrics."""
    sung = lyrics_by_shot(render.lyrics, track.analysis.sections, track.cut.shots)
    text_ok = plan.bible.text_overlays_allowed
    shots = []
    for shot, span, words in zip(plan.shots, track.cut.shots, sung, strict=True):
        extra = ""
        if words:
            shown = "shown as on-screen lyrics" if text_ok else "for mood only, not as text"
            extra = f' Lyrics over this shot ({shown}): "{words}".'
        shots.append(
            shot.model_copy(
                update={
                    "duration_seconds": span.film_seconds,
                    "start_seconds": span.start_seconds,
                    "end_seconds": span.end_seconds,
                    "image_prompt": shot.image_prompt + extra,
                    "video_prompt": shot.video_prompt + extra,
                }
            )
        )
    return plan.model_copy(update={"shots": tuple(shots), "notes": plan.notes + track.notes})


def film_durations(track: Track) -> tuple[int, ...]:
    """The clip length each shot is filmed at."""
    return tuple(s.film_seconds for s in track.cut.shots)
