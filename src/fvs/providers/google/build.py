"""Build Google provider objects from studio settings: one client, one gate per process."""

from __future__ import annotations

from typing import Any

from fvs.config import Settings
from fvs.providers.google.client import GoogleConfig, ModelGate, make_client
from fvs.providers.google.composer import LyriaComposer
from fvs.providers.google.filmer import VeoFilmer
from fvs.providers.google.imagen import ImagenPainter
from fvs.providers.google.narrator import GeminiNarrator
from fvs.providers.google.painter import GeminiPainter
from fvs.providers.google.planner import GeminiPlanner
from fvs.providers.registry import ModelInfo

ROLES: dict[str, Any] = {
    "planner": GeminiPlanner,
    "image": GeminiPainter,
    "video": VeoFilmer,
    "tts": GeminiNarrator,
}


def config_from(settings: Settings) -> GoogleConfig:
    return GoogleConfig(
        project=settings.google_project,
        location=settings.google_location,
        api_key=settings.google_api_key,
        base_url=settings.google_base_url,
    )


class GoogleProviders:
    def __init__(self, settings: Settings) -> None:
        self.config = config_from(settings)
        self.client = make_client(self.config)
        self.gate = ModelGate(settings.google_max_concurrent_per_model)

    def for_model(self, model: ModelInfo) -> Any:
        """The provider object for a Google model id, sharing this studio's client and gate."""
        if model.role == "music":
            # Lyria is called over REST, not through the SDK's client.
            return LyriaComposer(model.id, self.config, gate=self.gate)
        builder = ImagenPainter if model.id.startswith("imagen-") else ROLES[model.role]
        return builder(model.id, self.client, gate=self.gate)
