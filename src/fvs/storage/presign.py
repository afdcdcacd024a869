"""Presigned S3 GET URLs that stay the same for an hour of status polls.

boto3's generate_presigned_url takes only ExpiresIn and signs as of this second, so
every call gives another URL. We sign with botocore's own SigV4 query signer, but as
of the start of the current hour, with X-Amz-Expires reaching the same hour-rounded
expiry as our /media links (signing.rounded_expiry).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from fvs.storage.base import StorageUnavailable, content_disposition
from fvs.storage.signing import EXPIRY_GRANULARITY, rounded_expiry

# SigV4 refuses X-Amz-Expires above seven days.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"


class _PinnedQueryAuth(S3SigV4QueryAuth):
    """botocore's S3 query signer, signing as of a given moment instead of now."""

    def __init__(self, credentials: Any, region: str, *, signed_at: int, expires: int) -> None:
        super().__init__(credentials, "s3", region, expires=expires)
        self._timestamp = datetime.fromtimestamp(signed_at, UTC).strftime(SIGV4_TIMESTAMP)

    def _modify_request_before_signing(self, request: AWSRequest) -> None:
        # add_auth stamped "now" a moment ago; everything signed after this reads ours.
        request.context["timestamp"] = self._timestamp
        super()._modify_request_before_signing(request)


class HourlyPresigner:
    """Presigned GET URLs for one bucket's objects, signed as of the hour's start."""

    def __init__(self, session: boto3.session.Session, *, endpoint_url: str | None, config: Config):
        # An unsigned client still resolves the object's URL (endpoint, addressing style).
        unsigned = config.merge(Config(signature_version=UNSIGNED))
        self._urls = session.client("s3", endpoint_url=endpoint_url, config=unsigned)
        self._credentials = session.get_credentials()
        self.region = self._urls.meta.region_name

    def url(
        self,
        bucket: str,
        name: str,
        *,
        ttl_seconds: int,
        download_name: str | None = None,
        now: float | None = None,
    ) -> str:
        """A GET URL for the object, valid until now + ttl rounded up to the hour."""
        now = time.time() if now is None else now
        signed_at = int(now // EXPIRY_GRANULARITY * EXPIRY_GRANULARITY)
        expires = min(rounded_expiry(ttl_seconds, now) - signed_at, MAX_EXPIRES_SECONDS)
        params = {"Bucket": bucket, "Key": name}
        if download_name:
            params["ResponseContentDisposition"] = content_disposition(download_name)
        request = AWSRequest(
            method="GET", url=self._urls.generate_presigned_url("get_object", Params=params)
        )
        signer = _PinnedQueryAuth(
            self._frozen(bucket), self.region, signed_at=signed_at, expires=expires
        )
        signer.add_auth(request)
        return str(request.url)

    def _frozen(self, bucket: str) -> Any:
        if self._credentials is None:
            raise StorageUnavailable(
                f"FVS_STORAGE_URL: no AWS credentials to sign links to bucket '{bucket}' "
                "(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            )
        return self._credentials.get_frozen_credentials()
