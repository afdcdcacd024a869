"""Signed media URLs: valid for their own path, key and lifetime only."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from fvs.storage.signing import EXPIRY_GRANULARITY, KEY_ID, sign_path, verify

SECRET = b"signing-secret"
NOW = 1_700_000_000.0
PATH = "projects/proj_1/final.mp4"


def signed(path: str = PATH, ttl: int = 3600) -> tuple[str, dict[str, str]]:
    """The path and query of a freshly signed URL, as the media route reads them."""
    url = urlsplit(sign_path(SECRET, path, ttl_seconds=ttl, now=NOW))
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    return unquote(url.path), query


def check(path: str, query: dict[str, str], *, secret: bytes = SECRET, now: float = NOW) -> bool:
    return verify(
        secret, path, expires=query["exp"], key_id=query["kid"], sig=query["sig"], now=now
    )


def test_a_fresh_link_verifies():
    path, query = signed()
    assert path == PATH and query["kid"] == KEY_ID
    assert check(path, query)


def test_a_path_with_spaces_round_trips_through_the_url():
    path, query = signed("projects/proj_1/voice briefs/planning.wav")
    assert path == "projects/proj_1/voice briefs/planning.wav"
    assert check(path, query)


@pytest.mark.parametrize(
    "other",
    ["projects/proj_1/clips/shot-01.mp4", "projects/proj_2/final.mp4", "../secret.key", ""],
)
def test_the_signature_covers_the_path(other):
    _, query = signed()
    assert not check(other, query)


def test_a_tampered_signature_or_expiry_is_refused():
    path, query = signed()
    flipped = ("0" if query["sig"][0] != "0" else "1") + query["sig"][1:]
    assert not check(path, {**query, "sig": flipped})
    assert not check(path, {**query, "sig": ""})
    later = str(int(query["exp"]) + EXPIRY_GRANULARITY)
    assert not check(path, {**query, "exp": later})  # stretching the lifetime breaks the sig
    assert not check(path, {**query, "exp": "soon"})


def test_a_link_expires():
    path, query = signed(ttl=3600)
    expires = int(query["exp"])
    assert expires >= NOW + 3600  # rounded up, never down
    assert check(path, query, now=expires - 1)
    assert not check(path, query, now=expires)
    assert not check(path, query, now=expires + 7200)


def test_a_link_signed_in_the_past_is_already_expired():
    url = urlsplit(sign_path(SECRET, PATH, ttl_seconds=60, now=NOW - 7200))
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert not check(PATH, query)


@pytest.mark.parametrize("kid", ["k0", "k2", "", "K1"])
def test_an_unknown_key_id_is_refused(kid):
    path, query = signed()
    assert not check(path, {**query, "kid": kid})


def test_another_secret_is_refused():
    path, query = signed()
    assert not check(path, query, secret=b"another-secret")


def test_the_signature_covers_the_download_name():
    url = urlsplit(sign_path(SECRET, PATH, ttl_seconds=3600, download_name="Fox film.mp4", now=NOW))
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query["dl"] == "Fox film.mp4"

    def named(name: str) -> bool:
        return verify(
            SECRET,
            PATH,
            expires=query["exp"],
            key_id=query["kid"],
            sig=query["sig"],
            download_name=name,
            now=NOW,
        )

    assert named("Fox film.mp4")
    assert not named("Fox film.exe") and not named("")


def test_links_without_a_download_name_sign_as_they_always_did():
    # Links handed out before download names existed must keep working.
    path, query = signed()
    message = f"GET\n{PATH}\n{query['exp']}\n{KEY_ID}".encode()
    assert query["sig"] == hmac.new(SECRET, message, hashlib.sha256).hexdigest()
    assert "dl" not in query
