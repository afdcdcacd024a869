"""What a soundtrack's structure is: tempo, beats, downbeats and sections, with librosa.

The track is loaded at 22050 Hz mono; beats come from librosa's tracker on the onset
strength, the tempo from a straight line through the beat times (finer than the
tempogram's bins), downbeats from the phase of four beats with the strongest accents,
and sections from a novelty curve over beat-synchronous timbre and harmony.
"""

from __future__ import annotations

import numpy as np

from fvs.media.audio import AudioSource, UnreadableAudio, load_mono
from fvs.media.music import MusicAnalysis, MusicSection

SAMPLE_RATE = 22050
HOP = 256  # 11.6 ms frames: beats must land within 30 ms of the music's
BEATS_PER_BAR = 4
# Novelty is measured across four bars (one phrase) either side, so chord changes within
# a phrase do not count; sections are at least four bars long.
NOVELTY_HALF_WIDTH = 4 * BEATS_PER_BAR
NOVELTY_MIN_HALF_WIDTH = 2 * BEATS_PER_BAR
NOVELTY_MIN_SHARE = 0.25  # of the largest peak
NOVELTY_MIN = 0.08  # below this, timbre and harmony barely change
# Short frames keep onsets sharp: a 2048-sample window makes beats land ~20 ms late.
ONSET_FFT = 512
ONSET_MELS = 64
WEAK_BEAT_SHARE = 0.1  # of the median beat's onset: silence before or after the music


def _bpm(beat_times: np.ndarray, fallback: float) -> float:
    if len(beat_times) < 4:
        return fallback
    slope = np.polyfit(np.arange(len(beat_times)), beat_times, 1)[0]
    return float(60.0 / slope)


def downbeat_phase(accents: np.ndarray) -> int:
    """Return the phase (0-3) of the beats, taken every fourth, with the strongest accents."""
    scores = [accents[phase::BEATS_PER_BAR].mean() for phase in range(BEATS_PER_BAR)]
    return int(np.argmax(scores)) if len(accents) else 0


def _accents(y: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """Low-frequency onset strength at each beat: downbeats carry the heaviest kick and bass."""
    import librosa

    mel = librosa.feature.melspectrogram(
        y=y, sr=SAMPLE_RATE, hop_length=HOP, n_fft=ONSET_FFT * 2, n_mels=16, fmax=300
    )
    low = librosa.onset.onset_strength(S=librosa.power_to_db(mel), sr=SAMPLE_RATE, lag=1)
    window = [low[max(0, f - 2) : f + 3].max(initial=0.0) for f in beat_frames]
    return np.asarray(window)


def _beat_features(y: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """Standardised MFCC and chroma, one unit-length column per beat."""
    import librosa

    mfcc = librosa.feature.mfcc(y=y, sr=SAMPLE_RATE, n_mfcc=13, hop_length=HOP * 2)
    chroma = librosa.feature.chroma_stft(y=y, sr=SAMPLE_RATE, hop_length=HOP * 2)
    frames = (beat_frames // 2).tolist()
    feats = [
        librosa.util.sync(f, frames, aggregate=np.median, pad=False) for f in (mfcc[1:], chroma)
    ]
    stacked = np.vstack(
        [(f - f.mean(axis=1, keepdims=True)) / (f.std(axis=1, keepdims=True) + 1e-6) for f in feats]
    )
    return stacked / (np.linalg.norm(stacked, axis=0, keepdims=True) + 1e-9)


def novelty(
    features: np.ndarray,
    half_width: int = NOVELTY_HALF_WIDTH,
    min_half_width: int = NOVELTY_MIN_HALF_WIDTH,
) -> np.ndarray:
    """Foote's checkerboard novelty over the columns' self-similarity.

    Near either end the window narrows (down to min_half_width), so a short intro
    or outro still gets a boundary, and its score is scaled down with its width.
    """
    similarity = features.T @ features
    n = similarity.shape[0]
    curve = np.zeros(n)
    for i in range(min_half_width, n - min_half_width + 1):
        k = min(half_width, i, n - i)
        before, after = slice(i - k, i), slice(i, i + k)
        within = similarity[before, before].mean() + similarity[after, after].mean()
        # A narrow window sees chance differences; trust it in proportion to its width.
        curve[i] = (within - 2 * similarity[before, after].mean()) / 4 * k / half_width
    return curve


def boundary_indices(curve: np.ndarray, half_width: int = NOVELTY_HALF_WIDTH) -> list[int]:
    """Peaks of the novelty curve: local maxima, high enough, at least half_width apart."""
    floor = max(NOVELTY_MIN, NOVELTY_MIN_SHARE * float(curve.max(initial=0.0)))
    peaks: list[int] = []
    for i in np.argsort(-curve):
        if curve[i] < floor:
            break
        if all(abs(int(i) - p) >= half_width for p in peaks):
            peaks.append(int(i))
    return sorted(peaks)


def _sections(beats: np.ndarray, cuts: list[int], duration: float) -> list[MusicSection]:
    edges = [0.0, *(float(beats[i]) for i in cuts), duration]
    return [
        MusicSection(start_seconds=a, end_seconds=b)
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]


def onset_envelope(y: np.ndarray) -> np.ndarray:
    """Onset strength per hop, with rare spikes (a section's first chord) clipped."""
    import librosa

    onset = librosa.onset.onset_strength(
        y=y, sr=SAMPLE_RATE, hop_length=HOP, n_fft=ONSET_FFT, n_mels=ONSET_MELS
    )
    # One huge onset would otherwise make every ordinary beat look weak to the tracker.
    return np.minimum(onset, np.percentile(onset, 99))


def trim_weak_beats(frames: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Drop leading and trailing beats that sit on (near) silence."""
    strength = np.asarray([onset[max(0, f - 2) : f + 3].max(initial=0.0) for f in frames])
    if not len(frames):
        return frames
    strong = np.flatnonzero(strength > WEAK_BEAT_SHARE * np.median(strength))
    if not len(strong):
        return frames[:0]
    return frames[strong[0] : strong[-1] + 1]


def _track_beats(onset: np.ndarray) -> tuple[np.ndarray, float]:
    import librosa

    # librosa's own trimming compares with the loudest onset and can drop half a track.
    tempo, frames = librosa.beat.beat_track(
        onset_envelope=onset, sr=SAMPLE_RATE, hop_length=HOP, trim=False
    )
    frames = trim_weak_beats(np.asarray(frames, dtype=int), onset)
    return frames, float(np.atleast_1d(tempo)[0])


def analyse_samples(y: np.ndarray) -> MusicAnalysis:
    """Analyse mono float samples at SAMPLE_RATE."""
    import librosa

    duration = len(y) / SAMPLE_RATE
    onset = onset_envelope(y)
    frames, tempo = _track_beats(onset)
    beats = librosa.frames_to_time(frames, sr=SAMPLE_RATE, hop_length=HOP)
    phase = downbeat_phase(_accents(y, frames))
    cuts: list[int] = []
    if len(frames) > 4 * NOVELTY_HALF_WIDTH:
        cuts = boundary_indices(novelty(_beat_features(y, frames)))
    peak = float(onset.max(initial=0.0)) or 1.0
    return MusicAnalysis(
        duration_seconds=duration,
        bpm=round(_bpm(beats, tempo), 3),
        beats=[round(float(t), 4) for t in beats],
        downbeats=[round(float(t), 4) for t in beats[phase::BEATS_PER_BAR]],
        sections=_sections(beats, cuts, duration),
        onset_strength_hop_seconds=HOP / SAMPLE_RATE,
        onset_strength=[round(float(v) / peak, 4) for v in onset],
    )


def analyse_music(source: AudioSource) -> MusicAnalysis:
    """Decode a track at 22050 Hz mono and measure its tempo, beats, downbeats and sections."""
    y = load_mono(source, sample_rate=SAMPLE_RATE)
    if not np.any(y):
        raise UnreadableAudio("the track is silent")
    return analyse_samples(y)
