"""A wrong FVS_STORAGE_URL, or a bucket that cannot be used, stops the studio in one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fvs import cli
from fvs.config import Settings
from fvs.storage.base import StorageUnavailable
from fvs.storage.factory import open_storage
from fvs.storage.local import LocalStorage
from fvs.storage.s3 import S3Storage
from tests.cli.output import one_line
from tests.storage.conftest import free_port


def settings(tmp_path: Path, storage_url: str | None, endpoint: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-not-for-production",
        storage_url=storage_url,
        s3_endpoint_url=endpoint,
    )


def refusal(tmp_path: Path, storage_url: str, endpoint: str | None = None) -> str:
    """The sentence opening and checking this storage stops with."""
    with pytest.raises(StorageUnavailable) as caught:
        open_storage(settings(tmp_path, storage_url, endpoint)).check()
    return caught.value.message


@pytest.mark.parametrize(
    ("storage_url", "says"),
    [
        ("ftp://media.example/x", "FVS_STORAGE_URL: ftp:// URLs are not supported; use "),
        ("/srv/media", "FVS_STORAGE_URL: '/srv/media' has no scheme; use "),
        ("file://media/fvs", "FVS_STORAGE_URL: the file path 'media/fvs' is relative; "),
        ("file:media", "FVS_STORAGE_URL: the file path 'media' is relative; "),
        ("s3://", "FVS_STORAGE_URL: no bucket name; write s3://bucket/prefix"),
        ("s3:///studio", "FVS_STORAGE_URL: no bucket name; write s3://bucket/prefix"),
        ("s3://AKIA:hunter2@media/x", "FVS_STORAGE_URL must not carry credentials; "),
    ],
)
def test_a_malformed_url_is_named_in_one_sentence(tmp_path, storage_url, says):
    message = refusal(tmp_path, storage_url)
    assert message.startswith(says) and "\n" not in message
    assert "hunter2" not in message
    assert not (tmp_path / "data" / "media").exists()


@pytest.mark.usefixtures("aws_env")
def test_an_unreachable_endpoint_is_named_with_its_cause(tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"
    assert refusal(tmp_path, "s3://fvs-media/studio", endpoint) == (
        f"FVS_STORAGE_URL: bucket 'fvs-media' at {endpoint} cannot be reached (connection refused)"
    )


def test_a_missing_bucket_is_named(tmp_path, s3_endpoint, aws_env):
    assert refusal(tmp_path, "s3://no-such-bucket/studio", s3_endpoint) == (
        f"FVS_STORAGE_URL: bucket 'no-such-bucket' does not exist at {s3_endpoint}"
    )


def test_missing_credentials_are_named(tmp_path, s3_endpoint, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to ask
    assert refusal(tmp_path, "s3://fvs-media/studio", s3_endpoint) == (
        f"FVS_STORAGE_URL: no AWS credentials to open bucket 'fvs-media' at {s3_endpoint} "
        "(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
    )


def test_good_storage_passes_its_check(tmp_path, s3_endpoint, bucket):
    s3 = open_storage(settings(tmp_path, f"s3://{bucket}/studio", s3_endpoint))
    assert isinstance(s3, S3Storage) and s3.prefix == "studio/"
    s3.check()
    folder = tmp_path / "media folder"
    local = open_storage(settings(tmp_path, f"file://{folder.as_posix().replace(' ', '%20')}"))
    assert isinstance(local, LocalStorage) and local.root == folder.resolve()
    local.check()
    default = open_storage(settings(tmp_path, None))
    assert isinstance(default, LocalStorage) and default.root == (tmp_path / "data" / "media")


@pytest.fixture
def studio_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FVS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FVS_SECRET_KEY", "test-secret-not-for-production")


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.usefixtures("studio_env", "aws_env")
def test_serve_and_worker_stop_with_the_sentence(monkeypatch, command):
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("FVS_STORAGE_URL", "s3://fvs-media/studio")
    monkeypatch.setenv("FVS_S3_ENDPOINT_URL", endpoint)
    result = CliRunner().invoke(cli.app, [command])
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        f"error: FVS_STORAGE_URL: bucket 'fvs-media' at {endpoint} cannot be reached "
        "(connection refused)"
    )
    monkeypatch.setenv("FVS_STORAGE_URL", "gs://fvs-media")
    result = CliRunner().invoke(cli.app, [command])
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith(
        "error: FVS_STORAGE_URL: gs:// URLs are not supported"
    )


@pytest.mark.slow  # a real `fvs` process, importing the whole studio
def test_fvs_serve_exits_1_without_a_traceback(tmp_path, s3_endpoint, aws_env):
    env = {
        **os.environ,
        "FVS_DATA_DIR": str(tmp_path / "data"),
        "FVS_STORAGE_URL": "s3://no-such-bucket/studio",
        "FVS_S3_ENDPOINT_URL": s3_endpoint,
    }
    done = subprocess.run(
        [sys.executable, "-m", "fvs", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert one_line(done.stderr) == (
        f"error: FVS_STORAGE_URL: bucket 'no-such-bucket' does not exist at {s3_endpoint}"
    )
    assert "Traceback" not in done.stdout + done.stderr
