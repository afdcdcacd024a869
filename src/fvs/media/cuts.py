"""Finds hard cuts in a video by comparing small grey thumbnails of consecutive frames."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

THUMB_WIDTH, THUMB_HEIGHT = 64, 36
# Mean absolute grey-level difference (0-255) between consecutive thumbnails.
DEFAULT_THRESHOLD = 12.0
# A cut must also stand out from its neighbourhood: a fast but smooth camera
# move changes every frame a little, a cut changes one frame a lot.
CONTRAST_RATIO = 3.0
NEIGHBOURS = 3


def frame_differences(path: Path) -> tuple[list[float], np.ndarray]:
    """Return each frame's time and its mean absolute difference from the previous frame."""
    times: list[float] = []
    diffs: list[float] = []
    previous: np.ndarray | None = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = stream.start_time or 0
        time_base = stream.time_base or 1
        for frame in container.decode(stream):
            small = frame.reformat(width=THUMB_WIDTH, height=THUMB_HEIGHT, format="gray")
            thumb = small.to_ndarray().astype(np.int16)
            times.append(float(((frame.pts or 0) - start) * time_base))
            diffs.append(0.0 if previous is None else float(np.abs(thumb - previous).mean()))
            previous = thumb
    return times, np.asarray(diffs)


def detect_cuts(path: Path, *, threshold: float = DEFAULT_THRESHOLD) -> list[float]:
    """Return the times (seconds) of the first frame after each hard cut."""
    times, diffs = frame_differences(path)
    cuts: list[float] = []
    for index in range(1, len(diffs)):
        if diffs[index] < threshold:
            continue
        around = np.concatenate(
            [diffs[max(1, index - NEIGHBOURS) : index], diffs[index + 1 : index + 1 + NEIGHBOURS]]
        )
        background = float(np.median(around)) if around.size else 0.0
        if diffs[index] >= CONTRAST_RATIO * background:
            cuts.append(times[index])
    return cuts
