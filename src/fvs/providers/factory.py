"""Build the provider object that runs a model id. The pipeline's only door to providers."""

from __future__ import annotations

from functools import cache

from fvs.providers.base import ImagePainter, Narrator, Planner, VideoFilmer
from fvs.providers.local.animator import LocalAnimator
from fvs.providers.local.narrator import EspeakNarrator
from fvs.providers.local.painter import LocalPainter
from fvs.providers.local.planner import LocalPlanner


class UnknownProvider(LookupError):
    pass


@cache
def planner(model_id: str) -> Planner:
    if model_id == "local-planner":
        return LocalPlanner()
    raise UnknownProvider(model_id)


@cache
def painter(model_id: str) -> ImagePainter:
    if model_id == "local-painter":
        return LocalPainter()
    raise UnknownProvider(model_id)


@cache
def filmer(model_id: str) -> VideoFilmer:
    if model_id == "local-animatic":
        return LocalAnimator()
    raise UnknownProvider(model_id)


@cache
def narrator(model_id: str) -> Narrator:
    if model_id == "local-espeak":
        return EspeakNarrator()
    raise UnknownProvider(model_id)
