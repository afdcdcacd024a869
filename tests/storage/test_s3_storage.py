"""S3Storage on a real S3 server (moto): workspaces, keys under the prefix, presigned links."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import botocore.auth
import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from fvs.storage.base import UnsafePath
from fvs.storage.presign import MAX_EXPIRES_SECONDS, HourlyPresigner
from fvs.storage.s3 import S3Storage
from fvs.storage.signing import rounded_expiry
from tests.storage.objects import scratch_folders, stored

PROJECT = f"proj_{uuid.uuid4().hex[:16]}"
KEYFRAME = f"projects/{PROJECT}/keyframes/shot-01.png"
CLIP = f"projects/{PROJECT}/clips/shot-01.mp4"
CLIP_BYTES = bytes(range(256)) * 64
NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
TIMESTAMP = "%Y%m%dT%H%M%SZ"


@pytest.fixture
def storage(s3_endpoint: str, bucket: str) -> S3Storage:
    return S3Storage(bucket=bucket, prefix="/studio/", endpoint_url=s3_endpoint)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_a_workspace_downloads_inputs_and_uploads_outputs_with_their_type(storage, s3, bucket):
    storage.put_bytes(KEYFRAME, b"keyframe", "image/png")
    with storage.workspace(PROJECT) as workspace:
        source = workspace.input(KEYFRAME)
        assert source.read_bytes() == b"keyframe" and source.name == "shot-01.png"
        assert workspace.input(KEYFRAME) == source  # downloaded once
        workspace.output(CLIP, "video/mp4").write_bytes(CLIP_BYTES)
        workspace.output(f"projects/{PROJECT}/briefs/unspoken.wav")  # asked for, never written
        assert storage.size(CLIP) is None  # stored only when the block ends
        assert scratch_folders(PROJECT) == [source.parents[1]]
    objects = stored(s3, bucket)
    assert sorted(objects) == [f"studio/{CLIP}", f"studio/{KEYFRAME}"]
    assert objects[f"studio/{CLIP}"]["ContentType"] == "video/mp4"
    assert objects[f"studio/{KEYFRAME}"]["ContentType"] == "image/png"
    assert storage.size(CLIP) == len(CLIP_BYTES)
    assert scratch_folders(PROJECT) == []


def test_a_failed_block_stores_nothing_and_leaves_no_scratch(storage):
    with pytest.raises(RuntimeError), storage.workspace(PROJECT) as workspace:
        workspace.output(CLIP).write_bytes(CLIP_BYTES)
        raise RuntimeError("the encoder crashed")
    assert storage.size(CLIP) is None
    assert scratch_folders(PROJECT) == []


def test_a_missing_input_is_file_not_found(storage):
    with pytest.raises(FileNotFoundError, match="shot-01.png"), storage.workspace(PROJECT) as ws:
        ws.input(KEYFRAME)
    assert scratch_folders(PROJECT) == []


def test_a_large_output_is_uploaded_in_parts(storage, s3, bucket):
    big = b"\x00\x01" * (9 * 1024 * 1024 // 2 + 1)  # past the 8 MiB multipart threshold
    with storage.workspace(PROJECT) as workspace:
        workspace.output(f"projects/{PROJECT}/final.mp4").write_bytes(big)
    head = stored(s3, bucket)[f"studio/projects/{PROJECT}/final.mp4"]
    assert head["ContentLength"] == len(big) and head["ContentType"] == "video/mp4"
    assert head["ETag"].strip('"').endswith("-2")  # S3 marks a two-part upload so


@pytest.mark.parametrize(
    "key", ["../x", "/projects/p/x", "projects/p/../../x", "projects//x", "projects/./x"]
)
def test_keys_stay_under_the_prefix(storage, key):
    with pytest.raises(UnsafePath):
        storage.put_bytes(key, b"x", "text/plain")
    with pytest.raises(UnsafePath):
        storage.size(key)


def test_a_link_serves_the_object_and_byte_ranges(storage):
    storage.put_bytes(CLIP, CLIP_BYTES, "video/mp4")
    url = storage.link(CLIP, base_url="http://unused", ttl_seconds=3600)
    assert url.startswith(f"{storage.endpoint}/{storage.bucket}/studio/{CLIP}?")
    assert url == storage.link(CLIP, base_url="http://unused", ttl_seconds=3600)  # polls agree
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == CLIP_BYTES
    assert whole.headers["content-type"] == "video/mp4"
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == CLIP_BYTES[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(CLIP_BYTES)}"


def test_a_link_expires_on_the_hour_like_the_media_route(storage):
    before = time.time()
    url = storage.link(CLIP, base_url="", ttl_seconds=86400, download_name="Fox film.mp4")
    after = time.time()
    query = query_of(url)
    signed_at = datetime.strptime(query["X-Amz-Date"], TIMESTAMP).replace(tzinfo=UTC).timestamp()
    assert signed_at % 3600 == 0 and before - 3600 < signed_at <= after
    expires = signed_at + int(query["X-Amz-Expires"])
    assert expires in (rounded_expiry(86400, before), rounded_expiry(86400, after))
    assert query["response-content-disposition"].startswith('attachment; filename="Fox film.mp4"')


def presigner(endpoint: str) -> HourlyPresigner:
    config = Config(s3={"addressing_style": "path"})
    return HourlyPresigner(boto3.session.Session(), endpoint_url=endpoint, config=config)


@pytest.mark.usefixtures("aws_env")
def test_the_hour_fixes_the_signing_time_and_expiry(s3_endpoint):
    signer = presigner(s3_endpoint)
    url = signer.url("media", CLIP, ttl_seconds=86400, now=NOW)
    query = query_of(url)
    assert query["X-Amz-Date"] == "20231114T220000Z"  # the hour NOW falls in
    assert int(query["X-Amz-Expires"]) == rounded_expiry(86400, NOW) - 1_699_999_200
    assert signer.url("media", CLIP, ttl_seconds=86400, now=NOW + 1500) == url
    assert signer.url("media", CLIP, ttl_seconds=86400, now=NOW + 3000) != url  # next hour
    week = query_of(signer.url("media", CLIP, ttl_seconds=7 * 86400, now=NOW))
    assert int(week["X-Amz-Expires"]) == MAX_EXPIRES_SECONDS  # SigV4's ceiling


def botocore_signature(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The signature botocore's stock S3 query signer gives the URL's request at its X-Amz-Date."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    own = urlencode([(k, v) for k, v in query if not k.startswith("X-Amz-")])
    request = AWSRequest(method="GET", url=urlunsplit(parts._replace(query=own)))
    signed_at = datetime.strptime(params["X-Amz-Date"], TIMESTAMP)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *_, **__: signed_at)
    credentials = Credentials("test-access-key-id", "test-secret-access-key")
    expires = int(params["X-Amz-Expires"])
    S3SigV4QueryAuth(credentials, "s3", "us-east-1", expires=expires).add_auth(request)
    return query_of(request.url)["X-Amz-Signature"]


def with_query(url: str, **changes: Any) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True), **changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.usefixtures("aws_env")
def test_botocore_signs_the_url_alike_and_a_tampered_one_otherwise(s3_endpoint, monkeypatch):
    url = presigner(s3_endpoint).url(
        "media", CLIP, ttl_seconds=3600, download_name="Fox film.mp4", now=NOW
    )
    signature = query_of(url)["X-Amz-Signature"]
    assert (
        query_of(url)["X-Amz-Credential"] == "test-access-key-id/20231114/us-east-1/s3/aws4_request"
    )
    assert botocore_signature(url, monkeypatch) == signature
    other_path = url.replace("shot-01.mp4", "shot-02.mp4")
    longer = with_query(url, **{"X-Amz-Expires": str(int(query_of(url)["X-Amz-Expires"]) + 3600)})
    renamed = with_query(url, **{"response-content-disposition": "attachment; filename=x.exe"})
    for tampered in (other_path, longer, renamed):
        assert botocore_signature(tampered, monkeypatch) != signature
