"""`fvs render`: one plain line for every way it can go wrong, and files sent as upload parts."""

from __future__ import annotations

import io
import json
import re

import httpx
import pytest
import requests
from PIL import Image

from fvs import client
from tests.cli.output import one_line
from tests.conftest import SMALL_RENDER
from tests.live_server import free_port
from tests.threaded_server import serve_in_thread


@pytest.fixture
def request_file(tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(SMALL_RENDER))
    return path


def refused_without_a_traceback(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no uncaught error
    assert "Traceback" not in result.output
    return one_line(result.stderr)


def test_a_studio_that_is_not_running_is_one_line(fvs_cli, request_file):
    closed = f"http://127.0.0.1:{free_port()}"
    result = fvs_cli("render", str(request_file), "--base-url", closed, "--key", "fvs_x")
    assert refused_without_a_traceback(result, 1) == (
        f"error: cannot reach the studio at {closed} (connection refused); "
        "start it with `fvs serve`, or pass --base-url"
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"screenplay": "A fox",', "is not valid JSON: Expecting"),
        ("", "is not valid JSON"),
        ('["A fox"]', "holds an array; the request must be a JSON object"),
        ('"A fox"', "holds a string; the request must be a JSON object"),
    ],
)
def test_a_malformed_request_file_is_one_line(fvs_cli, tmp_path, content, says):
    path = tmp_path / "request.json"
    path.write_text(content)
    closed = f"http://127.0.0.1:{free_port()}"  # the file is checked before any connection
    result = fvs_cli("render", str(path), "--base-url", closed, "--key", "fvs_x")
    line = refused_without_a_traceback(result, 2)
    assert line.startswith(f"error: {path} ") and says in line


def test_a_missing_request_file_is_one_line(fvs_cli, tmp_path):
    result = fvs_cli("render", str(tmp_path / "nope.json"), "--key", "fvs_x")
    assert refused_without_a_traceback(result, 2) == (
        f"error: cannot read {tmp_path / 'nope.json'}: No such file or directory"
    )


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("reference_image", "--file takes PART=PATH"),
        ("=mara.png", "--file takes PART=PATH"),
        ("reference_image=", "--file takes PART=PATH"),
        ("reference_image=missing.png", "--file reference_image: missing.png does not exist"),
        ("reference_image=.", "--file reference_image: . is not a file"),
        ("request_json=mara.png", "cannot use the part name request_json"),
    ],
)
def test_a_malformed_file_option_is_one_line(
    fvs_cli, request_file, tmp_path, monkeypatch, option, says
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mara.png").write_bytes(png())
    closed = f"http://127.0.0.1:{free_port()}"
    result = fvs_cli(
        "render", str(request_file), "--base-url", closed, "--key", "fvs_x", "--file", option
    )
    assert says in refused_without_a_traceback(result, 2)


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("wrong key", r"the studio refused the render \(401 unauthorized, field X-FVS-Agent-Key\)"),
        ("no credits", r"\(402 insufficient_credits\): this render needs \d+ credits"),
        ("bad field", r"\(422 invalid_request, field shot_count\): .*less than or equal"),
    ],
)
def test_a_refusal_prints_the_studios_message(
    fvs_cli, settings, make_agent, request_file, case, says
):
    agent = make_agent(credits=0 if case == "no credits" else 1000)
    key = (
        agent.key[:-1] + ("y" if agent.key.endswith("x") else "x")
        if case == "wrong key"
        else agent.key
    )
    if case == "bad field":
        request_file.write_text(json.dumps({**SMALL_RENDER, "shot_count": 999}))
    with serve_in_thread(settings) as base_url:
        result = fvs_cli("render", str(request_file), "--base-url", base_url, "--key", key)
    line = refused_without_a_traceback(result, 1)
    assert line.startswith("error: the studio refused the render (") and re.search(says, line)


def test_a_refusal_that_is_not_the_studios_json_is_still_one_line():
    # e.g. a proxy in front of the studio answering its own HTML page
    page = "<html>\n  <body>\n    <h1>502 Bad Gateway</h1>\n  </body>\n</html>\n"
    refused = client.refusal(httpx.Response(502, text=page), doing="the status poll")
    assert str(refused) == (
        "the studio refused the status poll (502): <html> <body> <h1>502 Bad Gateway</h1> "
        "</body> </html>"
    )


def test_each_file_goes_as_the_upload_part_it_names(fvs_cli, settings, make_agent, request_file):
    # The studio refuses an empty upload, naming its part: proof the part arrived by that name.
    (request_file.parent / "empty.png").write_bytes(b"")
    agent = make_agent()
    with serve_in_thread(settings) as base_url:
        result = fvs_cli(
            "render",
            str(request_file),
            "--base-url",
            base_url,
            "--key",
            agent.key,
            "--file",
            f"reference_image={request_file.parent / 'empty.png'}",
        )
    assert refused_without_a_traceback(result, 1) == (
        "error: the studio refused the render (422 invalid_request, field reference_image): "
        "the uploaded file 'empty.png' is empty"
    )


def test_a_render_halted_for_review_stops_the_follow_and_says_how_to_approve(
    fvs_cli, settings, make_agent, request_file
):
    request_file.write_text(json.dumps({**SMALL_RENDER, "stage_behaviour": "halt_for_review"}))
    agent = make_agent()
    with serve_in_thread(settings) as base_url:
        result = fvs_cli("render", str(request_file), "--base-url", base_url, "--key", agent.key)
    line = refused_without_a_traceback(result, 1)
    assert re.fullmatch(
        r"render failed: render (proj_\w+) halted for review after a stage; approve it with "
        r"POST http://\S+/api/agent/renders/\1/approve, then poll http://\S+/renders/\1",
        line,
    ), line


@pytest.mark.slow  # a whole video
def test_render_with_a_reference_image_downloads_the_film(fvs_cli, settings, make_agent, tmp_path):
    (tmp_path / "mara.png").write_bytes(png())
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "screenplay": "Mara waits on a rainy platform.",
                "shot_count": 1,
                "scene_target_duration_seconds": 4,
                "video_model": "local-animatic",
            }
        )
    )
    agent = make_agent()
    out = tmp_path / "mara.mp4"
    with serve_in_thread(settings) as base_url:
        done = fvs_cli(
            "render",
            str(request),
            "--base-url",
            base_url,
            "--key",
            agent.key,
            "--out",
            str(out),
            "--file",
            f"reference_image={tmp_path / 'mara.png'}",
        )
        assert done.exit_code == 0, done.output
        project_id = re.search(r"render (proj_\w+) accepted", done.stdout).group(1)
        status = requests.get(
            f"{base_url}/api/agent/renders/{project_id}", headers=agent.headers, timeout=30
        ).json()
    assert done.stdout.rstrip().endswith(str(out)) and out.read_bytes()[4:8] == b"ftyp"
    assert status["asset_count"] == 2  # the reference image and the film


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 40)).save(buffer, "PNG")
    return buffer.getvalue()
