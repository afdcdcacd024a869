"""Lyria 2 as the composer, against the fake Vertex server's real `:predict` route."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.genai import errors
from google.oauth2.credentials import Credentials

from fvs.config import Settings
from fvs.media.audio import decode_audio
from fvs.providers import registry
from fvs.providers.base import MusicRequest
from fvs.providers.catalog import execution_for
from fvs.providers.factory import Providers
from fvs.providers.google.client import GoogleConfig, GoogleProviderError
from fvs.providers.google.composer import NEGATIVE_PROMPT, LyriaComposer, predict_url
from tests.fakes.vertex import MUSIC_BLOCK_REASON, FakeVertex

LYRIA = "lyria-002"
EXPRESS_PATH = "/v1/publishers/google/models/lyria-002:predict"


def composer(config: GoogleConfig, **kwargs: object) -> tuple[LyriaComposer, list[float]]:
    slept: list[float] = []
    return LyriaComposer(LYRIA, config, sleep=slept.append, **kwargs), slept  # type: ignore[arg-type]


def seeds_of(fake: FakeVertex) -> list[int]:
    return sorted(r.body["instances"][0]["seed"] for r in fake.recorded("predict"))


def test_a_70_s_track_is_three_clips_with_consecutive_seeds_crossfaded(
    fake: FakeVertex, tmp_path: Path
) -> None:
    lyria, _ = composer(fake.config())
    out = lyria.compose(MusicRequest("calm piano", 70, seed=41), tmp_path / "track.wav")
    assert seeds_of(fake) == [41, 42, 43]
    assert {r.path for r in fake.recorded("predict")} == {EXPRESS_PATH}
    info = decode_audio(out)
    assert info.duration_seconds >= 70
    assert (info.sample_rate, info.channels) == (48_000, 2)
    # Three 30 s clips overlapped by two crossfades, not butted end to end (90 s).
    fades = 2 * registry.MUSIC_CROSSFADE_SECONDS
    assert info.duration_seconds == pytest.approx(90 - fades, abs=0.05)
    assert [p.name for p in tmp_path.iterdir()] == ["track.wav"]  # no clips left behind


def test_a_track_of_thirty_seconds_or_less_is_one_call(fake: FakeVertex, tmp_path: Path) -> None:
    lyria, _ = composer(fake.config())
    out = lyria.compose(MusicRequest("upbeat", 12, seed=7), tmp_path / "short.wav")
    assert seeds_of(fake) == [7]
    assert decode_audio(out).duration_seconds == pytest.approx(30, abs=0.05)


def test_clips_shorter_than_planned_are_padded_to_the_length_asked_for(
    fake: FakeVertex, tmp_path: Path
) -> None:
    fake.music_seconds = 20  # two clips crossfaded make 38 s, not the 58 s planned
    lyria, _ = composer(fake.config())
    out = lyria.compose(MusicRequest("drone", 50, seed=1), tmp_path / "t.wav")
    assert seeds_of(fake) == [1, 2]
    assert decode_audio(out).duration_seconds == pytest.approx(50, abs=0.05)


def test_the_request_carries_the_prompt_and_the_negative_prompt(
    fake: FakeVertex, tmp_path: Path
) -> None:
    lyria, _ = composer(fake.config())
    lyria.compose(MusicRequest("A sad, slow cello theme at 72 bpm", 20), tmp_path / "t.wav")
    [seen] = fake.recorded("predict")
    instance = seen.body["instances"][0]
    assert "A sad, slow cello theme at 72 bpm" in instance["prompt"]
    assert "instrumental" in instance["prompt"].lower()
    assert "72 BPM" in instance["prompt"] and "Mood: sad, slow" in instance["prompt"]
    assert instance["negative_prompt"] == NEGATIVE_PROMPT == "vocals, singing"
    # The seed makes a clip repeatable; the API refuses it alongside sample_count.
    assert instance["seed"] == 0 and "sample_count" not in seen.body.get("parameters", {})


def test_a_quota_error_is_retried(fake: FakeVertex, tmp_path: Path) -> None:
    fake.fail_next("predict", status=429)
    lyria, slept = composer(fake.config())
    out = lyria.compose(MusicRequest("jazz", 25, seed=3), tmp_path / "t.wav")
    assert seeds_of(fake) == [3, 3]
    assert len(slept) == 1
    assert decode_audio(out).duration_seconds >= 25


def test_quota_exhausted_after_every_retry_stays_a_quota_error(
    fake: FakeVertex, tmp_path: Path
) -> None:
    fake.fail_next("predict", status=429, times=5)
    lyria, _ = composer(fake.config())
    with pytest.raises(errors.ClientError) as raised:
        lyria.compose(MusicRequest("jazz", 25), tmp_path / "t.wav")
    assert raised.value.code == 429 and len(fake.recorded("predict")) == 5


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("filtered", f"returned no track for seed 5 (blocked: {MUSIC_BLOCK_REASON})"),
        ("empty", "returned no track for seed 5 (an empty answer)"),
        ("refused", f"refused the request for seed 5 (400 INVALID_ARGUMENT): {MUSIC_BLOCK_REASON}"),
    ],
)
def test_a_blocked_answer_is_a_clear_error(
    fake: FakeVertex, tmp_path: Path, how: str, says: str
) -> None:
    fake.block_next_tracks(how)
    lyria, slept = composer(fake.config())
    with pytest.raises(GoogleProviderError) as raised:
        lyria.compose(MusicRequest("war drums", 20, seed=5), tmp_path / "t.wav")
    assert str(raised.value) == f"{LYRIA} {says}"
    assert len(fake.recorded("predict")) == 1 and slept == []  # a refusal is not retried
    assert not (tmp_path / "t.wav").exists()


def test_express_mode_sends_the_api_key(fake: FakeVertex, tmp_path: Path) -> None:
    lyria, _ = composer(GoogleConfig(api_key="express-key", base_url=fake.base_url))
    lyria.compose(MusicRequest("lofi", 10), tmp_path / "t.wav")
    [seen] = fake.recorded("predict")
    assert seen.path == EXPRESS_PATH
    assert seen.headers["x-goog-api-key"] == "express-key"
    assert "authorization" not in seen.headers


def test_project_mode_sends_a_bearer_token_to_the_project_path(
    fake: FakeVertex, tmp_path: Path
) -> None:
    config = GoogleConfig(project="studio-1", location="europe-west4", base_url=fake.base_url)
    lyria, _ = composer(config, credentials=Credentials(token="adc-token"))
    lyria.compose(MusicRequest("lofi", 10), tmp_path / "t.wav")
    [seen] = fake.recorded("predict")
    assert seen.path == (
        "/v1/projects/studio-1/locations/europe-west4/publishers/google/models/lyria-002:predict"
    )
    assert seen.headers["authorization"] == "Bearer adc-token"
    assert "x-goog-api-key" not in seen.headers


def test_without_a_base_url_the_calls_go_to_google() -> None:
    regional = GoogleConfig(project="p", location="us-central1")
    assert predict_url(regional, LYRIA) == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/"
        "publishers/google/models/lyria-002:predict"
    )
    assert predict_url(GoogleConfig(project="p", location="global"), LYRIA).startswith(
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/"
    )
    assert predict_url(GoogleConfig(api_key="k"), LYRIA) == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/lyria-002:predict"
    )
    with pytest.raises(GoogleProviderError, match="project or an API key"):
        predict_url(GoogleConfig(), LYRIA)


@pytest.mark.parametrize(
    ("seconds", "calls"), [(1, 1), (30, 1), (30.5, 2), (58, 2), (59, 3), (70, 3), (86, 3)]
)
def test_lyria_calls_cover_the_track_after_crossfades(seconds: float, calls: int) -> None:
    assert registry.music_calls(registry.find(LYRIA), seconds) == calls  # type: ignore[arg-type]


def test_music_calls_are_the_fewest_that_cover_the_track() -> None:
    lyria = registry.find(LYRIA)
    assert lyria is not None and lyria.seconds_per_call == 30
    for tenths in range(1, 3000):
        seconds = tenths / 10
        calls = registry.music_calls(lyria, seconds)
        covered = calls * 30 - (calls - 1) * registry.MUSIC_CROSSFADE_SECONDS
        one_fewer = covered - (30 - registry.MUSIC_CROSSFADE_SECONDS)
        assert covered >= seconds > (one_fewer if calls > 1 else 0), seconds


def test_the_local_composer_is_one_free_call_for_any_length() -> None:
    local = registry.local_standin("music")
    assert registry.music_calls(local, 600) == 1 and local.credits_per_call == 0


def test_the_factory_builds_lyria_when_google_is_configured(
    fake: FakeVertex, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", google_api_key="factory-key", google_base_url=fake.base_url
    )
    built = Providers(settings).composer(LYRIA)
    assert isinstance(built._inner, LyriaComposer)  # type: ignore[attr-defined]
    out = built.compose(MusicRequest("ambient", 15, seed=9), tmp_path / "t.wav")
    assert decode_audio(out).duration_seconds >= 15
    [seen] = fake.recorded("predict")
    assert seen.model == LYRIA and seen.headers["x-goog-api-key"] == "factory-key"


def test_lyria_runs_on_itself_with_google_configured_and_on_the_stand_in_without(
    tmp_path: Path,
) -> None:
    lyria = registry.find(LYRIA)
    assert lyria is not None
    google = Settings(data_dir=tmp_path, google_api_key="k")
    configured = execution_for(lyria, settings=google, field_name="music_model")
    assert configured.runs_on.id == LYRIA and not configured.standin
    bare = Settings(data_dir=tmp_path, google_api_key=None, google_project=None)
    standin = execution_for(lyria, settings=bare, field_name="music_model")
    assert standin.runs_on.id == "local-composer" and standin.standin
