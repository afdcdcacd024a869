"""LocalStorage hands out paths inside its root only: no `..`, no absolute path, no symlink out.

Its workspaces are the stored files themselves: nothing is copied for a step."""

from __future__ import annotations

from pathlib import Path

import pytest

from fvs.storage.base import UnsafePath
from fvs.storage.local import LocalStorage


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media", secret=b"test-secret")


def test_a_stored_key_maps_inside_the_root(storage):
    storage.put_bytes("projects/p1/clips/shot-01.mp4", b"clip", "video/mp4")
    written = storage.path("projects/p1/clips/shot-01.mp4")
    assert written.read_bytes() == b"clip"
    assert written.is_relative_to(storage.root)
    assert storage.size("projects/p1/clips/shot-01.mp4") == 4
    assert storage.size("projects/p1/clips/shot-02.mp4") is None
    # `..` that stays inside the root is only a longer name for the same file.
    assert storage.path("projects/p1/../p1/clips/shot-01.mp4") == written
    assert not list(written.parent.glob(".tmp-*"))  # written by rename, nothing left over


def test_a_workspace_reads_and_writes_the_stored_files_in_place(storage):
    storage.put_bytes("projects/p1/keyframes/shot-01.png", b"png", "image/png")
    with storage.workspace("p1") as workspace:
        source = workspace.input("projects/p1/keyframes/shot-01.png")
        target = workspace.output("projects/p1/clips/shot-01.mp4", "video/mp4")
        assert source == storage.path("projects/p1/keyframes/shot-01.png")  # no copy
        assert target == storage.path("projects/p1/clips/shot-01.mp4")
        target.write_bytes(source.read_bytes() * 2)
    assert storage.size("projects/p1/clips/shot-01.mp4") == 6
    assert [p.name for p in storage.root.iterdir()] == ["projects"]


@pytest.mark.parametrize(
    "key", ["projects/p2/clips/x.mp4", "projects/p1/../p2/x.mp4", "projects/p1//x", "other/x"]
)
def test_a_workspace_holds_only_its_own_project(storage, key):
    with storage.workspace("p1") as workspace:
        with pytest.raises(UnsafePath):
            workspace.input(key)
        with pytest.raises(UnsafePath):
            workspace.output(key)


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
    storage.put_bytes("projects/p1/final.mp4", b"video", "video/mp4")
    target = storage.path("projects/p1/final.mp4")
    (storage.root / "latest.mp4").symlink_to(target)
    assert storage.path("latest.mp4") == target


def test_writes_refuse_a_name_outside_the_root(storage):
    with pytest.raises(UnsafePath):
        storage.put_bytes("../planted.txt", b"x", "text/plain")
    assert not (storage.root.parent / "planted.txt").exists()
