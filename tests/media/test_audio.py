from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fvs.media.audio import UnreadableAudio, decode_audio, load_mono
from tests.media.signals import encode, tone, write_wav

FORMATS = {
    "mp3": ("out.mp3", "-c:a", "libmp3lame", "-b:a", "128k"),
    "vorbis": ("out.ogg", "-c:a", "libvorbis"),
    "opus": ("out.opus.ogg", "-c:a", "libopus", "-ar", "48000"),
    "flac": ("out.flac", "-c:a", "flac"),
    "aac": ("out.m4a", "-c:a", "aac", "-b:a", "128k"),
}


@pytest.fixture
def stereo_wav(tmp_path: Path) -> Path:
    left = tone(3.0, hz=440)
    return write_wav(tmp_path / "in.wav", np.stack([left, tone(3.0, hz=330)], axis=1))


def test_wav_reports_its_format(stereo_wav: Path) -> None:
    info = decode_audio(stereo_wav)
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", 44100, 2)
    assert info.duration_seconds == pytest.approx(3.0, abs=1e-3)


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_compressed_format_decodes(kind: str, stereo_wav: Path, tmp_path: Path) -> None:
    name, *args = FORMATS[kind]
    info = decode_audio(encode(stereo_wav, tmp_path / name, *args).read_bytes())
    assert info.codec == kind
    assert info.channels == 2
    assert info.duration_seconds == pytest.approx(3.0, abs=0.1)


def test_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableAudio, match="not a media file"):
        decode_audio(b"Shot 1: a lighthouse at dusk.\n" * 20)


def test_png_has_no_audio_stream(tmp_path: Path) -> None:
    Image.new("RGB", (32, 32), "red").save(tmp_path / "x.png")
    with pytest.raises(UnreadableAudio, match="no audio stream"):
        decode_audio(tmp_path / "x.png")


@pytest.mark.parametrize("kind", ["wav", "flac", "mp3"])
def test_truncated_file_is_refused(kind: str, stereo_wav: Path, tmp_path: Path) -> None:
    args = {"wav": ("t.wav",), "flac": FORMATS["flac"], "mp3": FORMATS["mp3"]}[kind]
    source = stereo_wav if kind == "wav" else encode(stereo_wav, tmp_path / args[0], *args[1:])
    data = source.read_bytes()
    with pytest.raises(UnreadableAudio, match="truncated|does not decode|not a media"):
        decode_audio(data[: len(data) // 2])


def test_limits_apply_before_decoding(stereo_wav: Path) -> None:
    with pytest.raises(UnreadableAudio, match="limit is 2 s"):
        decode_audio(stereo_wav, max_seconds=2)
    with pytest.raises(UnreadableAudio, match="limited to 1000"):
        decode_audio(stereo_wav, max_bytes=1000)
    with pytest.raises(UnreadableAudio, match="empty"):
        decode_audio(b"")


def test_load_mono_resamples(stereo_wav: Path) -> None:
    samples = load_mono(stereo_wav, sample_rate=22050)
    assert samples.dtype == np.float32
    assert len(samples) == pytest.approx(3 * 22050, abs=64)
