"""Which provider runs a requested model: itself when configured, else the local stand-in."""

from __future__ import annotations

from dataclasses import dataclass

from fvs.config import Settings
from fvs.errors import ValidationFailed
from fvs.providers import registry
from fvs.providers.registry import ModelInfo

# What an operator must set before a provider's models run for real.
REQUIRED_SETTINGS = {"google": "FVS_GOOGLE_PROJECT or FVS_GOOGLE_API_KEY"}
# Roles no hosted provider runs yet: their hosted models always render on the stand-in.
LOCAL_ONLY_ROLES: tuple[str, ...] = ()


def configured_providers(settings: Settings) -> set[str]:
    """Providers that can run here: local always, Google once it has credentials."""
    return {"local", "google"} if settings.google_configured else {"local"}


@dataclass(frozen=True)
class Execution:
    requested: ModelInfo
    runs_on: ModelInfo

    @property
    def standin(self) -> bool:
        return self.requested.id != self.runs_on.id

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.requested.id,
            "runs_on": self.runs_on.id,
            "provider": self.runs_on.provider,
            "standin": self.standin,
        }


def execution_for(model: ModelInfo, *, settings: Settings, field_name: str) -> Execution:
    """The model that will really run a request for `model`, or 422 if none may."""
    runnable = model.role not in LOCAL_ONLY_ROLES or model.provider == "local"
    if runnable and model.provider in configured_providers(settings):
        return Execution(requested=model, runs_on=model)
    if not settings.allow_standins:
        why = (
            f"the {model.provider} provider is not configured "
            f"(set {REQUIRED_SETTINGS.get(model.provider, 'its settings')})"
            if runnable
            else f"the studio does not call {model.provider} {model.role} models yet"
        )
        raise ValidationFailed(
            field_name, f"{model.id} cannot run here: {why}; stand-ins are disabled on this studio"
        )
    return Execution(requested=model, runs_on=registry.local_standin(model.role))
