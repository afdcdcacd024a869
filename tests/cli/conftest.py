"""The `fvs` command in-process (typer's CliRunner), on the same database as the test's studio."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from fvs import cli
from fvs.config import Settings

Invoke = Callable[..., Result]


@pytest.fixture
def fvs_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `fvs ARGS...` against the test's settings: its data dir, database and secret."""
    monkeypatch.setenv("FVS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FVS_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("FVS_SECRET_KEY", str(settings.secret_key))
    monkeypatch.delenv("FVS_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("FVS_BASE_URL", raising=False)
    monkeypatch.delenv("FVS_AGENT_KEY", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli.app, list(args), input=input)

    return invoke
