"""Every upload is used, or the status says why not; a part whose name promises a kind holds it."""

from __future__ import annotations

import io
import json
import uuid
import wave

import pytest
from PIL import Image

from fvs.accounts import service as accounts
from fvs.billing import service as billing
from fvs.models import Project
from fvs.providers.base import Plan
from fvs.renders import service as renders
from fvs.renders.schemas import RenderStatus, parse_render_request
from fvs.renders.uploads import sniff
from fvs.studio import Studio
from tests.conftest import SMALL_RENDER, wait_for
from tests.pipeline.drive import run_until

RED, BLUE, TEAL = (200, 30, 40), (30, 40, 200), (20, 120, 130)


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, "PNG")
    return buffer.getvalue()


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def planned(
    studio: Studio, screenplay: str, files: list[tuple[str, str, bytes]]
) -> tuple[RenderStatus, Plan]:
    """Submit a render with these uploads through the service, plan it, and read its status."""
    request = parse_render_request({**SMALL_RENDER, "screenplay": screenplay})
    uploads = [sniff(part, filename, data) for part, filename, data in files]

    def submit(session) -> tuple[str, str]:
        account = accounts.create_account(session, email=f"u-{uuid.uuid4().hex[:8]}@example.com")
        billing.grant(session, account_id=account.id, amount=500, transfer_id=f"g:{account.id}")
        project = renders.submit_render(
            session,
            account_id=account.id,
            request=request,
            uploads=uploads,
            settings=studio.settings,
            storage=studio.storage,
        )
        return account.id, project.id

    account_id, project_id = studio.db.transact(submit)
    assert run_until(studio, last_step="plan")[-1] == "plan"
    with studio.db.read() as session:
        status = renders.status_of(
            session,
            account_id=account_id,
            project_id=project_id,
            base_url="http://testserver",
            settings=studio.settings,
            storage=studio.storage,
        )
        plan = Plan.model_validate(session.get(Project, project_id).plan)
    return status, plan


def uses(status: RenderStatus) -> dict[str, str | None]:
    return {u.filename: u.used_as for u in status.uploads}


def assert_each_upload_used_or_explained(status: RenderStatus) -> None:
    for upload in status.uploads:
        explained = [n for n in status.notes if repr(upload.filename) in n]
        assert upload.used_as or explained, (upload, status.notes)


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_a_reference_image_dresses_a_named_character(studio):
    status, plan = planned(
        studio, "Mara waits on a rainy platform.", [("reference_image", "mara.png", png(RED))]
    )
    [upload] = status.uploads
    assert upload.model_dump(exclude={"url"}) == {
        "part": "reference_image",
        "filename": "mara.png",
        "kind": "image",
        "content_type": "image/png",
        "size_bytes": len(png(RED)),
        "used_as": "subject reference for Mara",
        "label": None,
        "purpose": None,
    }
    assert upload.url and "mara.png" in upload.url
    [mara] = plan.bible.subjects
    assert mara.key == "mara" and mara.palette[0] == "#c81e28"
    assert not any("mara.png" in note for note in status.notes)


def test_a_described_stranger_wears_the_reference(studio):
    screenplay = "An old lighthouse keeper in a red coat climbs the stairs."
    status, plan = planned(studio, screenplay, [("reference_image", "keeper.png", png(RED))])
    assert uses(status) == {"keeper.png": "subject reference for the old lighthouse keeper"}
    assert plan.bible.subjects[0].description == "an old lighthouse keeper in a red coat"


def test_without_a_subject_the_image_sets_the_style_palette_and_says_why(studio):
    status, plan = planned(
        studio, "Rain falls on an empty street. Night comes.", [("image", "look.png", png(TEAL))]
    )
    assert uses(status) == {"look.png": "style palette"}
    assert plan.bible.subjects == () and "#147882" in plan.bible.palette
    assert [n for n in status.notes if "'look.png'" in n] == [
        "image upload 'look.png' is used as the style palette "
        "(the screenplay names no recurring subject)"
    ]


def test_images_beyond_the_subjects_set_the_palette(studio):
    files = [("reference_image", "mara.png", png(RED)), ("reference_image", "look.png", png(BLUE))]
    status, plan = planned(studio, "Mara waits on a rainy platform.", files)
    assert uses(status) == {"mara.png": "subject reference for Mara", "look.png": "style palette"}
    assert "#1e28c8" in plan.bible.palette
    assert any("'look.png'" in n and "already has a reference" in n for n in status.notes)


def test_audio_and_scripts_are_kept_and_the_notes_say_they_are_not_used(studio):
    files = [
        ("audio", "theme.wav", wav()),
        ("script", "notes.txt", b"Mara hums."),
        ("files", "mara.png", png(RED)),
    ]
    status, _ = planned(studio, "Mara waits on a rainy platform.", files)
    assert uses(status) == {
        "theme.wav": None,
        "notes.txt": None,
        "mara.png": "subject reference for Mara",
    }
    assert [u.kind for u in status.uploads] == ["audio", "text", "image"]
    assert_each_upload_used_or_explained(status)
    [audio_note] = [n for n in status.notes if "'theme.wav'" in n]
    assert "only project_mode music uses audio" in audio_note
    [script_note] = [n for n in status.notes if "'notes.txt'" in n]
    assert "not read" in script_note


def test_the_status_lists_uploads_over_http(client, make_agent):
    agent = make_agent()
    files = [
        ("request_json", (None, json.dumps({**SMALL_RENDER, "screenplay": "Mara waits."}))),
        ("reference_image", ("mara.png", png(RED), "image/png")),
        ("audio", ("theme.wav", wav(), "audio/wav")),
    ]
    body = client.post("/api/agent/renders", headers=agent.headers, files=files).json()
    assert [(u["part"], u["kind"]) for u in body["uploads"]] == [
        ("reference_image", "image"),
        ("audio", "audio"),
    ]
    status = wait_for(
        client, agent, body["project_id"], ("failed",), where=lambda b: b["shots"] != []
    )
    assert [u["used_as"] for u in status["uploads"]] == ["subject reference for Mara", None]
    assert set(status["uploads"][0]) == {
        "part",
        "filename",
        "kind",
        "content_type",
        "size_bytes",
        "used_as",
        "label",
        "purpose",
        "url",
    }
    assert any("'theme.wav'" in n for n in status["notes"])
    client.post(body["cancel_url"], headers=agent.headers)  # the rest of the render is not needed


@pytest.mark.parametrize(
    ("part", "filename", "data", "ctype", "expected", "found"),
    [
        ("reference_image", "ref.png", b"just some words", "image/png", "an image", "UTF-8 text"),
        ("audio", "song.png", png(RED), "image/png", "audio", "an image (image/png)"),
        ("script", "script.txt", wav(), "text/plain", "UTF-8 text", "audio (audio/wav)"),
        ("reference_images", "r.png", b"words", "image/png", "an image", "UTF-8 text"),
        ("music", "m.mp3", b"\x00\xff\xfe", "audio/mpeg", "audio", "not an image, audio"),
    ],
    ids=["text-as-image", "png-as-audio", "wav-as-script", "text-as-images", "bytes-as-music"],
)
def test_a_part_named_for_a_kind_must_hold_it(
    client, make_agent, part, filename, data, ctype, expected, found
):
    files = [
        ("request_json", (None, json.dumps(SMALL_RENDER))),
        (part, (filename, data, ctype)),
    ]
    response = client.post("/api/agent/renders", headers=make_agent().headers, files=files)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_request", part)
    assert f"part {part!r} expects {expected}" in error["message"]
    assert found in error["message"] and repr(filename) in error["message"]


@pytest.mark.parametrize(
    ("part", "data", "kind"),
    [
        ("files", b"plain words", "text"),
        ("file", png(RED), "image"),
        ("attachment", wav(), "audio"),
        ("Reference-Image", png(RED), "image"),
        ("image", png(BLUE), "image"),
        ("soundtrack", wav(), "audio"),
        ("text", b"Mara hums.", "text"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_generic_parts_take_the_sniffed_kind_and_named_variants_their_own(part, data, kind):
    assert sniff(part, "upload", data).kind == kind
