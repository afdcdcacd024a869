"""The README stays true: every setting is in its configuration table."""

from __future__ import annotations

from pathlib import Path

from fvs.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented():
    text = README.read_text()
    missing = [
        f"FVS_{name.upper()}"
        for name in Settings.model_fields
        if f"| `FVS_{name.upper()}` |" not in text
    ]
    assert missing == []
