"""Our delivery format, and the encoder every generated clip goes through.

Every clip is encoded with exactly the same codec parameters, so the final
join can be a stream copy instead of a second, lossy and slow, encode.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import numpy as np

from fvs.media.ffmpeg import MediaError, ffmpeg_command, stderr_tail

DELIVERY_FPS = 24
DELIVERY_CRF = 20
GOP_FRAMES = 48  # a keyframe every 2 s keeps seeking cheap
# Each clip also gets a keyframe this far after its start and before its end, so a
# transition re-encodes only about this much of each clip (media/transitions.py).
EDGE_KEYFRAME_SECONDS = 1.0
AUDIO_RATE = 48_000
FINISH_TIMEOUT_S = 600.0
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size; lets ffmpeg read ahead of us

AudioKind = Literal["ambience", "silence"]
PixelFormat = Literal["rgb24", "yuv420p"]
# RGB input is converted with the same BT.709 limited-range matrix our tags promise.
RGB_TO_DELIVERY_FILTER = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"


def video_encode_args() -> list[str]:
    """Return the x264 output arguments shared by every clip and every re-encode."""
    return [
        "-c:v", "libx264",
        "-preset", "veryfast",
        "-crf", str(DELIVERY_CRF),
        "-pix_fmt", "yuv420p",
        "-profile:v", "high",
        "-r", str(DELIVERY_FPS),
        "-g", str(GOP_FRAMES),
        # Closed GOPs and no scene-cut keyframe changes keep each clip's GOP
        # structure predictable; x264 always opens a clip with an IDR frame.
        "-flags", "+cgop",
        "-sc_threshold", "0",
        "-video_track_timescale", str(DELIVERY_FPS * 512),
        # Tag what we actually produce, so players do not guess the matrix by size.
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv",
    ]  # fmt: skip


def edge_keyframe_args(duration_seconds: float) -> list[str]:
    """Force keyframes EDGE_KEYFRAME_SECONDS inside both ends of a clip this long."""
    times = sorted({EDGE_KEYFRAME_SECONDS, duration_seconds - EDGE_KEYFRAME_SECONDS})
    inside = [t for t in times if 0 < t < duration_seconds]
    if not inside:
        return []
    return ["-force_key_frames", ",".join(f"{t:.6f}" for t in inside)]


def audio_encode_args() -> list[str]:
    """Return the AAC output arguments shared by every clip and every re-encode."""
    return ["-c:a", "aac", "-b:a", "128k", "-ar", str(AUDIO_RATE), "-ac", "2"]


def container_args() -> list[str]:
    """Return the MP4 muxer arguments: index up front so players start at once."""
    return ["-movflags", "+faststart", "-f", "mp4"]


def delivery_args() -> list[str]:
    """Return all output arguments of our delivery format, video, audio and container."""
    return [*video_encode_args(), *audio_encode_args(), *container_args()]


def audio_source_graph(kind: AudioKind, *, seed: int = 0) -> str:
    """Return the lavfi graph that generates a clip's audio bed."""
    if kind == "silence":
        return f"anullsrc=channel_layout=stereo:sample_rate={AUDIO_RATE}"
    if kind == "ambience":
        # Quiet brown noise, low-passed, reads as room tone rather than hiss.
        return (
            f"anoisesrc=color=brown:amplitude=0.05:sample_rate={AUDIO_RATE}:seed={seed % 2**31},"
            "lowpass=f=600,highpass=f=40,aformat=channel_layouts=stereo"
        )
    raise ValueError(f"unknown audio kind {kind!r}")


def baseline_encode_args(
    out_path: Path, *, frame_count: int, width: int, height: int, with_audio: bool = False
) -> list[str]:
    """Return ffmpeg args encoding testsrc2 frames with our exact video settings."""
    source = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={DELIVERY_FPS}"]
    audio = ["-an"]
    if with_audio:
        seconds = f"{frame_count / DELIVERY_FPS:.6f}"
        source += ["-f", "lavfi", "-t", seconds, "-i", audio_source_graph("ambience")]
        audio = audio_encode_args()
    return [
        *source,
        "-frames:v", str(frame_count),
        *video_encode_args(), *audio, *container_args(), "-y", str(out_path),
    ]  # fmt: skip


def rgb_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert an HxWx3 uint8 RGB image (even size) to BT.709 limited-range planes."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"expected an even-sized HxWx3 image, got {rgb.shape}")
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    y = 16.0 + luma * (219.0 / 255.0)
    u = 128.0 + (b - luma) * (224.0 / 255.0 / 1.8556)
    v = 128.0 + (r - luma) * (224.0 / 255.0 / 1.5748)

    def half(plane: np.ndarray) -> np.ndarray:
        # Average each 2x2 block, the chroma a decoder expects at this size.
        return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4

    def to_u8(plane: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(plane), 0, 255).astype(np.uint8)

    return to_u8(y), to_u8(half(u)), to_u8(half(v))


def partial_path(out_path: Path) -> Path:
    """Return a hidden temporary name beside out_path, on the same filesystem."""
    return out_path.with_name(f".{out_path.stem}.{uuid.uuid4().hex[:8]}.partial{out_path.suffix}")


class ClipEncoder:
    """Pipe RGB frames into one ffmpeg process that writes a delivery-format clip."""

    def __init__(
        self,
        out_path: Path,
        *,
        width: int,
        height: int,
        fps: int,
        frame_count: int,
        audio: AudioKind = "ambience",
        seed: int = 0,
        pixel_format: PixelFormat = "rgb24",
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"frame size must be positive and even, got {width}x{height}")
        if fps <= 0 or frame_count <= 0:
            raise ValueError("fps and frame_count must be positive")
        audio_source_graph(audio)  # validate early, before any process starts
        self.out_path = Path(out_path)
        self.width, self.height, self.fps = width, height, fps
        self.frame_count = frame_count
        self.audio: AudioKind = audio
        self.seed = seed
        self.pixel_format: PixelFormat = pixel_format
        self.frames_written = 0
        self._tmp_path = partial_path(self.out_path)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def duration_seconds(self) -> float:
        return self.frame_count / self.fps

    def command(self) -> list[str]:
        """Return the ffmpeg command line this encoder runs."""
        seconds = f"{self.duration_seconds:.6f}"
        convert = ["-vf", RGB_TO_DELIVERY_FILTER] if self.pixel_format == "rgb24" else []
        return ffmpeg_command([
            "-f", "rawvideo", "-pix_fmt", self.pixel_format,
            "-s", f"{self.width}x{self.height}", "-framerate", str(self.fps), "-i", "pipe:0",
            "-f", "lavfi", "-t", seconds, "-i", audio_source_graph(self.audio, seed=self.seed),
            "-map", "0:v:0", "-map", "1:a:0", *convert,
            *delivery_args(), *edge_keyframe_args(self.duration_seconds),
            "-t", seconds, "-y", str(self._tmp_path),
        ])  # fmt: skip

    def __enter__(self) -> ClipEncoder:
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        # stderr goes to a file: a full stderr pipe would stall ffmpeg and then us.
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
        )
        assert self._proc.stdin is not None
        with contextlib.suppress(AttributeError, OSError):
            import fcntl

            fcntl.fcntl(self._proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return self

    def write(self, frame: np.ndarray) -> None:
        """Send one HxWx3 uint8 RGB frame to the encoder."""
        self._check_plane(frame, (self.height, self.width, 3), "rgb24")
        self._send([frame])

    def write_yuv420(self, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        """Send one frame as BT.709 limited-range planes: Y is HxW, U and V H/2 x W/2."""
        half = (self.height // 2, self.width // 2)
        self._check_plane(y, (self.height, self.width), "yuv420p")
        self._check_plane(u, half, "yuv420p")
        self._check_plane(v, half, "yuv420p")
        self._send([y, u, v])

    def _check_plane(self, plane: np.ndarray, shape: tuple[int, ...], fmt: str) -> None:
        if self.pixel_format != fmt:
            raise ValueError(f"this encoder takes {self.pixel_format} frames, not {fmt}")
        if plane.shape != shape or plane.dtype != np.uint8:
            raise ValueError(f"expected a {shape} uint8 plane, got {plane.shape} {plane.dtype}")

    def _send(self, planes: list[np.ndarray]) -> None:
        if self._proc is None or self._proc.stdin is None:
            raise MediaError("ClipEncoder used outside its with-block")
        if self.frames_written >= self.frame_count:
            raise MediaError(f"more than the planned {self.frame_count} frames written")
        try:
            for plane in planes:
                self._proc.stdin.write(np.ascontiguousarray(plane).data)
        except BrokenPipeError as exc:
            raise MediaError(f"ffmpeg stopped reading frames: {self._stderr_tail()}") from exc
        self.frames_written += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                self._abort()
                return
            if self.frames_written != self.frame_count:
                self._abort()
                raise MediaError(
                    f"clip {self.out_path.name}: wrote {self.frames_written} frames, "
                    f"planned {self.frame_count}"
                )
            self._finish()
        finally:
            if self._stderr is not None:
                self._stderr.close()

    def _finish(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.close()
            code = self._proc.wait(timeout=FINISH_TIMEOUT_S)
        except (BrokenPipeError, subprocess.TimeoutExpired) as exc:
            self._abort()
            raise MediaError(f"ffmpeg did not finish: {self._stderr_tail()}") from exc
        if code != 0:
            tail = self._stderr_tail()
            self._abort()
            raise MediaError(f"ffmpeg exited with status {code}: {tail}")
        os.replace(self._tmp_path, self.out_path)

    def _abort(self) -> None:
        """Kill ffmpeg and remove the partial file; never leaves output behind."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            with contextlib.suppress(OSError):
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
            self._proc.wait()
        self._tmp_path.unlink(missing_ok=True)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return stderr_tail(self._stderr.read()) or "(no stderr)"
