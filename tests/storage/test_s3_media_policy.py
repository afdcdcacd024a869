"""With media on S3, the pages' CSP lets <img>/<video> load the store's presigned links."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fvs.app import create_app
from tests.web.test_security_headers import directives


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], s3_endpoint: str, bucket: str
) -> dict[str, Any]:
    return {
        "storage_url": f"s3://{bucket}/media",
        "s3_endpoint_url": s3_endpoint,
        "executor": "none",
        **settings_overrides,
    }


def test_the_object_store_origin_is_an_img_and_media_source(settings, s3_endpoint):
    with TestClient(create_app(settings)) as client:
        presigned = client.app.state.studio.storage.link("k.png", base_url="", ttl_seconds=60)
        assert presigned.startswith(s3_endpoint + "/")  # the pages' links live there
        found = directives(client.get("/login").headers["content-security-policy"])
    assert found["img-src"] == f"'self' {s3_endpoint}"
    assert found["media-src"] == f"'self' {s3_endpoint}"
    assert found["script-src"] == "'self'" and found["connect-src"] == "'self'"
