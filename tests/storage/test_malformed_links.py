"""Every malformed media link is a 403 with the JSON error body, never a 500.

A table of links, each made from a good signed link by breaking one thing: the
expiry (missing, repeated, non-ASCII digits that int() half-accepts, huge), the
signature (missing, repeated, non-ASCII, not hex), the key id and download
name (repeated), and validly signed paths that lead out of the media folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from fvs.app import create_app
from fvs.config import Settings
from fvs.storage.signing import KEY_ID, rounded_expiry, sign_path

CLIP = "projects/proj_0123456789abcdef/clips/shot-01.mp4"


@pytest.fixture
def media_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        client.app.state.studio.storage.put_bytes(CLIP, b"clip", "video/mp4")
        yield client


def _good_query(settings: Settings, path: str = CLIP, name: str | None = None) -> dict[str, str]:
    query = sign_path(settings.resolved_secret, path, ttl_seconds=600, download_name=name)
    fields = query.split("?", 1)[1].split("&")
    return dict(field.split("=", 1) for field in fields)


def _url(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"/media/{quote(path)}?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


def _without(good: dict[str, str], name: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in good.items() if k != name]


def _replaced(good: dict[str, str], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, value if k == name else v) for k, v in good.items()]


def _doubled(good: dict[str, str], name: str, second: str | None = None) -> list[tuple[str, str]]:
    return [*good.items(), (name, good[name] if second is None else second)]


EXP = str(rounded_expiry(600))
BROKEN_QUERIES = {
    "missing exp": lambda g: _without(g, "exp"),
    "empty exp": lambda g: _replaced(g, "exp", ""),
    "superscript exp": lambda g: _replaced(g, "exp", "²"),
    "arabic-indic exp": lambda g: _replaced(g, "exp", "".join(chr(0x660 + int(d)) for d in EXP)),
    "fullwidth exp": lambda g: _replaced(g, "exp", "".join(chr(0xFF10 + int(d)) for d in EXP)),
    "huge exp": lambda g: _replaced(g, "exp", "9" * 5000),
    "negative exp": lambda g: _replaced(g, "exp", "-1"),
    "spaced exp": lambda g: _replaced(g, "exp", f" {EXP}"),
    "exp twice, same": lambda g: _doubled(g, "exp"),
    "exp twice, later": lambda g: _doubled(g, "exp", str(int(EXP) + 3600)),
    "missing sig": lambda g: _without(g, "sig"),
    "non-ascii sig": lambda g: _replaced(g, "sig", "é" * 64),
    "non-hex sig": lambda g: _replaced(g, "sig", "zz" * 32),
    "uppercase sig": lambda g: _replaced(g, "sig", g["sig"].upper()),
    "sig twice": lambda g: _doubled(g, "sig"),
    "missing kid": lambda g: _without(g, "kid"),
    "non-ascii kid": lambda g: _replaced(g, "kid", "ｋ1"),
    "kid twice": lambda g: _doubled(g, "kid"),
    "dl added": lambda g: [*g.items(), ("dl", "other.mp4")],
    "dl twice": lambda g: [*g.items(), ("dl", "a.mp4"), ("dl", "b.mp4")],
}


@pytest.mark.settings(executor="none")
@pytest.mark.parametrize("case", list(BROKEN_QUERIES))
def test_a_malformed_signed_link_is_a_json_403(media_client, settings, case):
    pairs = BROKEN_QUERIES[case](_good_query(settings))
    answer = media_client.get(_url(CLIP, pairs))
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "forbidden"


# Signed with our own secret, so only the path guard stands between them and the disk.
SIGNED_BAD_PATHS = [
    "../secret.key",
    "projects/../../secret.key",
    "/etc/passwd",
    "projects/a\x00b.mp4",
    "projects/" + "x" * 5000 + ".mp4",
    "projects/" + "/".join(["d"] * 3000),
    "",
    ".",
]


@pytest.mark.settings(executor="none")
@pytest.mark.parametrize("path", SIGNED_BAD_PATHS, ids=range(len(SIGNED_BAD_PATHS)))
def test_a_validly_signed_path_out_of_bounds_is_a_json_403(media_client, settings, path):
    answer = media_client.get(_url(path, list(_good_query(settings, path).items())))
    assert answer.status_code in (403, 404), answer.text
    assert answer.json()["error"]["code"] in ("forbidden", "not_found")


@pytest.mark.settings(executor="none")
def test_the_good_link_of_the_table_is_served(media_client, settings):
    # The table breaks this link; unbroken, it works, so each 403 above is the break's doing.
    answer = media_client.get(_url(CLIP, list(_good_query(settings).items())))
    assert answer.status_code == 200 and answer.content == b"clip"
    assert _good_query(settings)["kid"] == KEY_ID
