"""`fvs ledger check` on a database it cannot read: one plain line and exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fvs import cli


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:///{tmp}/missing.db", "unable to open database file"),
        ("sqlite:///{tmp}/empty.db", "no such table"),
        ("nosuchdb://host/db", "Can't load plugin"),
    ],
)
def test_an_unreadable_ledger_is_one_plain_line(tmp_path: Path, url: str, reason: str) -> None:
    (tmp_path / "empty.db").write_bytes(b"")  # a file SQLite opens, holding no tables
    result = CliRunner().invoke(
        cli.app, ["ledger", "check", "--database-url", url.format(tmp=tmp_path)]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot read the ledger: ")
    assert reason in result.output and "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()  # read-only: not even created
