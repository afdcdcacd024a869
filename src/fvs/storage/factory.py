"""Which media storage the settings name: FVS_STORAGE_URL, else the data dir's media folder."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from fvs.config import Settings
from fvs.storage.base import MediaStorage, StorageUnavailable
from fvs.storage.local import LocalStorage

SETTING = "FVS_STORAGE_URL"
FORMS = "file:///absolute/path or s3://bucket/prefix"


def open_storage(settings: Settings) -> MediaStorage:
    """The storage backend FVS_STORAGE_URL names; StorageUnavailable when it is malformed."""
    if not settings.storage_url:
        return LocalStorage(settings.media_dir, secret=settings.resolved_secret)
    url = urlsplit(settings.storage_url)
    if url.username or url.password:
        # The sentence must not echo a secret; boto3 finds credentials on its own.
        raise StorageUnavailable(
            f"{SETTING} must not carry credentials; boto3 reads AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) itself"
        )
    if url.scheme == "file":
        return LocalStorage(_file_root(url), secret=settings.resolved_secret, setting=SETTING)
    if url.scheme == "s3":
        return _s3(url, settings.s3_endpoint_url)
    if not url.scheme:
        raise StorageUnavailable(f"{SETTING}: {settings.storage_url!r} has no scheme; use {FORMS}")
    raise StorageUnavailable(f"{SETTING}: {url.scheme}:// URLs are not supported; use {FORMS}")


def _file_root(url: SplitResult) -> Path:
    """The folder of a file:///absolute/path URL; a relative path is refused."""
    path = unquote(url.path)
    if url.netloc not in ("", "localhost") or not path.startswith("/"):
        shown = f"{url.netloc}{path}"
        raise StorageUnavailable(
            f"{SETTING}: the file path {shown!r} is relative; write file:///absolute/path"
        )
    return Path(path)


def _s3(url: SplitResult, endpoint_url: str | None) -> MediaStorage:
    """S3Storage on the URL's bucket and prefix."""
    if not url.netloc:
        raise StorageUnavailable(f"{SETTING}: no bucket name; write s3://bucket/prefix")
    # boto3 is imported only by studios that store media in a bucket.
    from fvs.storage.s3 import S3Storage

    return S3Storage(bucket=url.netloc, prefix=unquote(url.path), endpoint_url=endpoint_url)
