"""A whole render with its media in a bucket: every link is the object store's, and works."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from PIL import Image

from fvs.media.probe import probe
from tests.conftest import SMALL_RENDER
from tests.storage.objects import scratch_folders, stored

# The database (and nothing else) stays in the data dir.
DATABASE_FILES = {"fvs.db", "fvs.db-wal", "fvs.db-shm", "fvs.db-journal"}


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], s3_endpoint: str, bucket: str
) -> dict[str, Any]:
    """This module's studios keep their media in the test bucket."""
    return {
        **settings_overrides,
        "storage_url": f"s3://{bucket}/studio",
        "s3_endpoint_url": s3_endpoint,
    }


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 60, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def status_urls(status: dict[str, Any]) -> dict[str, str]:
    """Every media URL in a status body, by where it sits."""
    urls = {"final": status["final_video_url"], "contact_sheet": status["contact_sheet_url"]}
    for shot in status["shots"]:
        urls[f"keyframe {shot['number']}"] = shot["keyframe_url"]
        urls[f"clip {shot['number']}"] = shot["clip_url"]
    for brief in status["voice_briefs"]:
        urls[f"brief {brief['stage']}"] = brief["url"]
    return urls


def render_on_s3(client: Any, agent: Any) -> dict[str, Any]:
    request = {**SMALL_RENDER, "stage_voice_briefs_enabled": True}
    request["wait_for_completion_seconds"] = 240
    files = [
        ("request_json", (None, json.dumps(request))),
        ("reference_image", ("fox.png", png(), "image/png")),
    ]
    status = client.post("/api/agent/renders", headers=agent.headers, files=files).json()
    assert status["status"] == "completed", status["last_error"]
    return status


@pytest.mark.slow
def test_a_render_keeps_and_links_all_its_media_in_the_bucket(
    client, make_agent, settings, s3, bucket, s3_endpoint, tmp_path
):
    status = render_on_s3(client, make_agent())
    project = status["project_id"]
    urls = status_urls(status)
    assert len(urls) == 2 + 2 * 2 + 4  # final, sheet, two keyframes and clips, four briefs
    for where, url in urls.items():
        assert url.startswith(f"{s3_endpoint}/{bucket}/studio/projects/{project}/"), where
        assert httpx.get(url).status_code == 200, where

    final = httpx.get(urls["final"])
    assert final.content[4:8] == b"ftyp" and final.headers["content-type"] == "video/mp4"
    (tmp_path / "final.mp4").write_bytes(final.content)
    media = probe(tmp_path / "final.mp4")
    assert media.video is not None and media.video.codec == "h264"
    assert abs(media.duration_seconds - 4) <= 0.5
    part = httpx.get(urls["final"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == final.content[100:200]
    disposition = dict(parse_qsl(urlsplit(urls["final"]).query))["response-content-disposition"]
    assert disposition.startswith('attachment; filename="Small test render.mp4"')

    objects = stored(s3, bucket)
    uploads = [k for k in objects if k.startswith(f"studio/projects/{project}/uploads/")]
    assert len(uploads) == 1 and uploads[0].endswith("-fox.png")
    assert objects[uploads[0]]["ContentType"] == "image/png"
    assert objects[f"studio/projects/{project}/contact-sheet.jpg"]["ContentType"] == "image/jpeg"
    assert objects[f"studio/projects/{project}/briefs/planning.wav"]["ContentType"] == "audio/wav"
    (upload,) = status["uploads"]
    assert upload["used_as"] is not None, status["notes"]  # the planner read it from the bucket

    left = {p.name for p in settings.data_dir.rglob("*") if p.is_file()} - DATABASE_FILES
    assert left == set() and not (settings.data_dir / "media").exists()
    assert scratch_folders(project) == []
