"""Build the provider object that runs a model id. The pipeline's only door to providers."""

from __future__ import annotations

import threading
from typing import Any

from fvs.config import Settings
from fvs.metrics import Instrumented
from fvs.providers import registry
from fvs.providers.base import (
    Composer,
    ImagePainter,
    Narrator,
    Planner,
    RemoteVideoFilmer,
    VideoFilmer,
)
from fvs.providers.local.animator import LocalAnimator
from fvs.providers.local.composer import LocalComposer
from fvs.providers.local.narrator import EspeakNarrator
from fvs.providers.local.painter import LocalPainter
from fvs.providers.local.planner import LocalPlanner

LOCAL: dict[str, Any] = {
    "local-planner": LocalPlanner,
    "local-painter": LocalPainter,
    "local-animatic": LocalAnimator,
    "local-espeak": EspeakNarrator,
    "local-composer": LocalComposer,
}


class UnknownProvider(LookupError):
    pass


class Providers:
    """One instance per studio: provider objects built on first use and then shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._google: Any = None

    def planner(self, model_id: str) -> Planner:
        planner: Planner = self._get(model_id)
        return planner

    def painter(self, model_id: str) -> ImagePainter:
        painter: ImagePainter = self._get(model_id)
        return painter

    def filmer(self, model_id: str) -> VideoFilmer | RemoteVideoFilmer:
        filmer: VideoFilmer | RemoteVideoFilmer = self._get(model_id)
        return filmer

    def narrator(self, model_id: str) -> Narrator:
        narrator: Narrator = self._get(model_id)
        return narrator

    def composer(self, model_id: str) -> Composer:
        composer: Composer = self._get(model_id)
        return composer

    def _get(self, model_id: str) -> Any:
        with self._lock:
            if model_id not in self._built:
                self._built[model_id] = Instrumented(self._build(model_id), model_id)
            return self._built[model_id]

    def _build(self, model_id: str) -> Any:
        if model_id in LOCAL:
            return LOCAL[model_id]()
        model = registry.find(model_id)
        if model is None or model.provider != "google":
            raise UnknownProvider(model_id)
        # The SDK loads only when a Google model is used.
        from fvs.providers.google.build import GoogleProviders

        if self._google is None:
            self._google = GoogleProviders(self.settings)
        return self._google.for_model(model)
