"""The agent API page: generated from the models, error classes and routers, on our origin."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path
from typing import get_args

import pytest

import fvs
from fvs.agents import fields, reference
from fvs.agents.error_codes import agent_error_classes, error_codes
from fvs.config import Settings
from fvs.errors import AppError
from fvs.renders.schemas import ProjectMode, RenderRequest, RenderStatus

ORIGIN = "https://studio.example.org"


@pytest.fixture(scope="module")
def page() -> str:
    return reference.reference_markdown(ORIGIN)


def _section(page: str, title: str) -> str:
    return page.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _table_rows(text: str) -> dict[str, list[str]]:
    """First-column name (unquoted) -> the row's cells, for every Markdown table row."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) >= 2 and not set(cells[0]) <= {"-"}:
            rows[cells[0].strip("`")] = cells
    return rows


def test_every_request_field_is_in_the_table_with_its_limits_and_a_meaning(page):
    for model in fields.FIELD_MODELS:
        for name in model.model_fields:
            assert fields.describe(model, name), f"{model.__name__}.{name} has no description"
    rows = _table_rows(_section(page, "Request fields"))
    assert set(RenderRequest.model_fields) <= set(rows)
    assert rows["shot_count"][1] == "integer (≥ 1, ≤ 64) or null"
    assert rows["wait_for_completion_seconds"][2] == "`0`"
    assert rows["video_model"][2] == "account default"
    assert "`scene` \\| `custom` \\| `music`" in rows["project_mode"][1]
    assert rows["filename"][2] == "**required**"  # the asset table, below


def test_a_new_request_field_reaches_the_table_by_itself():
    class Extended(RenderRequest):
        brand_new: int | None = None

    assert "| `brand_new` | integer or null | none |" in fields.field_table(Extended)


def test_every_mode_is_explained(page):
    modes = _section(page, "Modes")
    for mode in get_args(ProjectMode):
        assert f"- **`{mode}`**: " in modes


def _all_error_classes() -> list[type[AppError]]:
    # Load every module, so error classes defined anywhere in fvs are seen.
    for module in pkgutil.walk_packages(fvs.__path__, "fvs."):
        if not module.name.startswith(("fvs.migrations", "fvs.__main__")):
            importlib.import_module(module.name)
    return [c for c in agent_error_classes() if c is not AppError]


def test_every_error_code_an_agent_can_meet_is_on_the_page(page):
    errors = _section(page, "Errors")
    listed = {(e.status, e.code) for e in error_codes()}
    for cls in _all_error_classes():
        assert (cls.status_code, cls.code) in listed, cls
        assert f"| {cls.status_code} | `{cls.code}` |" in errors
    assert all(e.when for e in error_codes())
    for code in ("unauthorized", "insufficient_credits", "idempotency_key_in_use", "not_found"):
        assert f"`{code}`" in errors


def test_the_reference_payload_and_the_response_are_real_and_on_our_origin(page):
    blocks = re.findall(r"```json\n(.*?)\n```", page, re.S)
    payload, response = json.loads(blocks[0]), json.loads(blocks[1])
    RenderRequest.model_validate(payload)
    assert payload["screenplay"].startswith("Shot 1: A young woman enters")
    assert response["status_url"] == f"{ORIGIN}/api/agent/renders/{response['project_id']}"
    assert response["final_video_url"].startswith(f"{ORIGIN}/media/")
    assert "studio.example/" not in page.replace(ORIGIN, "")


def test_the_examples_use_our_origin_and_the_key_placeholder(page):
    python = re.search(r"### Python\n\n```python\n(.*?)```", page, re.S).group(1)
    javascript = re.search(r"### JavaScript\n.*?```javascript\n(.*?)```", page, re.S).group(1)
    assert f'BASE_URL = "{ORIGIN}"' in python
    assert f'AGENT_KEY = "{reference.KEY_PLACEHOLDER}"' in python
    assert f'fetch("{ORIGIN}/api/agent/renders"' in javascript
    assert javascript.count(reference.KEY_PLACEHOLDER) == 2
    compile(python, "example.py", "exec")  # it parses


def test_the_advice_shows_this_studios_limits():
    settings = Settings.model_construct(max_wait_seconds=42, status_min_interval_ms=250)
    advice = _section(
        reference.reference_markdown(ORIGIN, settings=settings), "Waiting, retrying and polling"
    )
    assert "caps it at 42 s" in advice
    assert "faster than every 250 ms" in advice
    assert "Idempotency-Key" in advice and "24 hours" in advice


def test_every_agent_route_is_listed(page):
    routes = _section(page, "Routes")
    for path in (
        "/api/agent/renders",
        "/api/agent/renders/{project_id}/cancel",
        "/api/agent/wallet",
        "/api/agent/models",
    ):
        assert f"| `{path}` |" in routes


SEED_EXAMPLES = Path(__file__).parents[1] / "seed"
SEED_ORIGIN = "https://fmv-studio-frontend-t7cat7yhuq-uc.a.run.app"


def _code(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    ("ours", "seeds"),
    [
        (reference.python_example, "example.py"),
        (reference.javascript_example, "example.mjs"),
    ],
)
def test_the_examples_are_the_seeds_but_for_the_origin_and_layout(ours, seeds):
    # tests/seed/ holds the seed document's examples verbatim (a test there proves it).
    seed = (SEED_EXAMPLES / seeds).read_text()
    assert _code(ours(SEED_ORIGIN)) == _code(seed)


def test_every_response_field_is_explained(page):
    response = _section(page, "Response")
    rows = _table_rows(response)
    for name in RenderStatus.model_fields:
        assert fields.describe(RenderStatus, name), name
        assert rows[name][2], name
