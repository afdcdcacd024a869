"""Media in an S3 bucket (or MinIO, R2, GCS's XML API) under one prefix, through boto3.

Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, instance
roles), never from our settings. Steps work in a scratch folder that is removed when
their workspace closes.
"""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from fvs.storage.base import StorageUnavailable, UnsafePath, check_project_key, project_key
from fvs.storage.presign import HourlyPresigner
from fvs.storage.s3_errors import unavailable_sentence

# upload_file and download_file switch to multipart (in parallel parts) above this size.
TRANSFER = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
SCRATCH_PREFIX = "fvs-scratch-"


class S3Workspace:
    """A scratch folder mirroring the project's keys: inputs downloaded, outputs uploaded."""

    def __init__(self, storage: S3Storage, project_id: str, scratch: Path) -> None:
        self._storage = storage
        self._project_id = project_id
        self._scratch = scratch
        self._outputs: dict[str, tuple[Path, str]] = {}

    def _local(self, key: str) -> Path:
        check_project_key(self._project_id, key)
        path = self._scratch / key.removeprefix(project_key(self._project_id, ""))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def input(self, key: str) -> Path:
        """The stored file, downloaded into the scratch folder once."""
        path = self._local(key)
        if not path.exists():
            self._storage.download(key, path)
        return path

    def output(self, key: str, content_type: str | None = None) -> Path:
        """A scratch path, uploaded under `key` when the block ends without error."""
        path = self._local(key)
        guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._outputs[key] = (path, content_type or guessed)
        return path

    def store_outputs(self) -> None:
        """Upload every output the block wrote; one it did not write is left alone."""
        for key, (path, content_type) in self._outputs.items():
            if path.is_file():
                self._storage.upload(path, key, content_type)


class S3Storage:
    """MediaStorage in one bucket under a prefix; links are presigned GET URLs."""

    def __init__(self, *, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        session = boto3.session.Session()
        # MinIO and most S3-compatible servers want the bucket in the path, not the host.
        config = Config(
            s3={"addressing_style": "path"} if endpoint_url else {},
            retries={"mode": "standard"},
        )
        self._client = session.client("s3", endpoint_url=endpoint_url, config=config)
        # The startup check asks once and says why at once, rather than retrying for seconds.
        probe = config.merge(Config(retries={"total_max_attempts": 1}, connect_timeout=5))
        self._probe = session.client("s3", endpoint_url=endpoint_url, config=probe)
        self._presigner = HourlyPresigner(session, endpoint_url=endpoint_url, config=config)
        self.endpoint = str(self._client.meta.endpoint_url)

    def object_name(self, key: str) -> str:
        """The object's name in the bucket: the prefix, then the key."""
        if key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
            raise UnsafePath(key)
        return f"{self.prefix}{key}"

    @contextmanager
    def workspace(self, project_id: str) -> Iterator[S3Workspace]:
        """A scratch folder for one step; outputs upload on success, the folder always goes."""
        scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{project_id}-"))
        try:
            workspace = S3Workspace(self, project_id, scratch)
            yield workspace
            workspace.store_outputs()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def download(self, key: str, target: Path) -> None:
        """Copy an object into a local file; FileNotFoundError when there is none."""
        try:
            self._client.download_file(
                self.bucket, self.object_name(key), str(target), Config=TRANSFER
            )
        except ClientError as exc:
            if _status(exc) == 404:
                raise FileNotFoundError(f"no stored file {key}") from None
            raise

    def upload(self, source: Path, key: str, content_type: str) -> None:
        """Store a local file under a key (multipart when large)."""
        self._client.upload_file(
            str(source),
            self.bucket,
            self.object_name(key),
            ExtraArgs={"ContentType": content_type},
            Config=TRANSFER,
        )

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is none."""
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        return int(head["ContentLength"])

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Store bytes as one object (S3 never shows half an object)."""
        self._client.put_object(
            Bucket=self.bucket, Key=self.object_name(key), Body=data, ContentType=content_type
        )

    def link(
        self, key: str, *, base_url: str, ttl_seconds: int, download_name: str | None = None
    ) -> str:
        """A presigned GET URL on the object store; base_url is not needed."""
        return self._presigner.url(
            self.bucket, self.object_name(key), ttl_seconds=ttl_seconds, download_name=download_name
        )

    def check(self) -> None:
        """Raise StorageUnavailable unless the bucket exists and answers these credentials."""
        try:
            self._probe.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise StorageUnavailable(
                unavailable_sentence(exc, self.bucket, self.endpoint)
            ) from None


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
