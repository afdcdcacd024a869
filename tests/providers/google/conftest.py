"""One fake Vertex server per test module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.vertex import FakeVertex


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVertex]:
    with FakeVertex() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeVertex) -> FakeVertex:
    server.reset()
    return server
