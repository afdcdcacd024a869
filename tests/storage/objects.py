"""Looking into the test bucket and the machine's scratch space."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fvs.storage.s3 import SCRATCH_PREFIX


def stored(s3: Any, bucket: str) -> dict[str, Any]:
    """Every object in the bucket, by name, with its head (size, type, ETag)."""
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3.head_object(Bucket=bucket, Key=o["Key"]) for o in listed}


def scratch_folders(project_id: str) -> list[Path]:
    """Scratch folders of the project's workspaces still on disk."""
    return list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{project_id}-*"))
