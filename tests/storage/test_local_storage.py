"""LocalStorage hands out paths inside its root only: no `..`, no absolute path, no symlink out."""

from __future__ import annotations

from pathlib import Path

import pytest

from fvs.storage.base import UnsafePath
from fvs.storage.local import LocalStorage


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


def test_a_stored_name_maps_inside_the_root_and_back(storage):
    written = storage.write_bytes("projects/p1/clips/shot-01.mp4", b"clip")
    assert written == storage.path("projects/p1/clips/shot-01.mp4")
    assert written.read_bytes() == b"clip"
    assert written.is_relative_to(storage.root)
    assert storage.relative(written) == "projects/p1/clips/shot-01.mp4"
    # `..` that stays inside the root is only a longer name for the same file.
    assert storage.path("projects/p1/../p1/clips/shot-01.mp4") == written


@pytest.mark.parametrize(
    "relative",
    ["../x", "../media-sibling/x", "projects/../../x", "projects/p1/../../../secret.key"],
)
def test_dot_dot_out_of_the_root_is_refused(storage, relative):
    (storage.root.parent / "x").write_text("outside")
    with pytest.raises(UnsafePath):
        storage.path(relative)


def test_an_absolute_path_is_refused(storage, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    for relative in (str(outside), "/etc/passwd"):
        with pytest.raises(UnsafePath):
            storage.path(relative)


@pytest.mark.parametrize("relative", ["", ".", "projects/.."])
def test_the_root_itself_is_not_a_file(storage, relative):
    with pytest.raises(UnsafePath):
        storage.path(relative)


def test_a_symlink_out_of_the_root_is_refused(storage, tmp_path):
    secret = tmp_path / "secret.key"
    secret.write_text("do not serve")
    (storage.root / "projects").mkdir()
    (storage.root / "projects" / "leak.key").symlink_to(secret)
    (storage.root / "projects" / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    for relative in ("projects/leak.key", "projects/elsewhere/secret.key"):
        with pytest.raises(UnsafePath):
            storage.path(relative)


def test_a_symlink_inside_the_root_is_followed(storage):
    target = storage.write_bytes("projects/p1/final.mp4", b"video")
    (storage.root / "latest.mp4").symlink_to(target)
    assert storage.path("latest.mp4") == target


def test_writes_refuse_a_name_outside_the_root(storage):
    with pytest.raises(UnsafePath):
        storage.write_bytes("../planted.txt", b"x")
    assert not (storage.root.parent / "planted.txt").exists()
