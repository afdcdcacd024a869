"""Reading what a person hands the `fvs render` command: a request file and PART=PATH files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fvs.client.errors import BadInput

_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_KINDS |= {bool: "a boolean", type(None): "null"}


def load_request(path: Path) -> dict[str, Any]:
    """The request body in a JSON file, or BadInput naming what is wrong with the file."""
    try:
        request = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text; the request must be a JSON object") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(request, dict):
        found = _JSON_KINDS.get(type(request), "something else")
        raise BadInput(f"{path} holds {found}; the request must be a JSON object {{...}}")
    return request


def upload_part(value: str) -> tuple[str, Path]:
    """A PART=PATH (the --file option) as the part name and an existing file, or BadInput."""
    part, equals, raw = value.partition("=")
    part = part.strip()
    if not equals or not part or not raw:
        raise BadInput(
            f"--file takes PART=PATH, e.g. --file reference_image=./mara.png; got {value!r}"
        )
    if part == "request_json":
        raise BadInput("--file cannot use the part name request_json; the request file fills it")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise BadInput(
            f"--file {part}: {raw} {'is not a file' if path.exists() else 'does not exist'}"
        )
    return part, path
