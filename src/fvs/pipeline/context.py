"""What a pipeline step needs from the running studio."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fvs.config import Settings
from fvs.db import Database
from fvs.providers.factory import Providers
from fvs.storage.local import LocalStorage


@dataclass
class Studio:
    settings: Settings
    db: Database
    storage: LocalStorage
    providers: Providers
    wake: Callable[[], None] = field(default=lambda: None)
