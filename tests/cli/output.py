"""Checks on what the `fvs` command prints."""

from __future__ import annotations


def one_line(text: str) -> str:
    """The text's only line; fails when there are more (a traceback, a wrapped message)."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]
