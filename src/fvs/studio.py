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
    # Tells idle workers that a job was just committed; set by the executor that runs here.
    wake: Callable[[], None] = field(default=lambda: None)
