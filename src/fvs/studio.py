"""The shared container: what the API, the pipeline and the CLI hold of one running studio.

It sits at the bottom of the layers, so it only names its parts' types; app.py
builds it (build_studio) and hands it to routers, executors and commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fvs.config import Settings
from fvs.db import Database

if TYPE_CHECKING:
    from fvs.providers.factory import Providers
    from fvs.storage.base import MediaStorage


@dataclass
class Studio:
    settings: Settings
    db: Database
    storage: MediaStorage
    providers: Providers
    # Called after a commit that queued jobs: wakes this process's worker threads, or
    # publishes the jobs to the broker (FVS_EXECUTOR=celery). Set by app.py or the worker.
    wake: Callable[[], None] = field(default=lambda: None)
