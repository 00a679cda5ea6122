"""Turning model names into model clients (Demo, Local, OpenAI-compatible)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._models import ModelConfig

if TYPE_CHECKING:
    from studio.engine import ModelClient

    from .registry import ModelPreset, Registry

ModelResolver = Callable[[str], "ModelClient"]
#: Finds the API key of a model (name, merged preset) or raises BuildError; lets the
#: caller apply its own rules (whose key, which host it may go to).
KeyProvider = Callable[[str, "ModelPreset"], str]


class BuildError(ValueError):
    """A template cannot be turned into a team here (a missing key, executor...).

    ``path`` points at the template field concerned, when there is one.
    """

    def __init__(self, message: str, *, path: str = "", agent: str | None = None) -> None:
        self.path = path
        self.agent = agent
        self.reason = message
        super().__init__(f"{path}: {message}" if path else message)


def default_model_resolver(
    registry: Registry,
    demo: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    configs: Mapping[str, str | ModelConfig | Mapping[str, Any]] | None = None,
    *,
    demo_pace: str = "instant",
    demo_token_delay: float | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    api_key: KeyProvider | None = None,
) -> ModelResolver:
    """A resolver mapping model names to clients, one shared instance per name.

    ``demo`` (and any preset of api_type demo) -> ``DemoModel(**demo, pace=demo_pace)``
    (``demo`` is ``TemplateSpec.demo_options()``: the scripts and task formats; a
    ``demo_token_delay`` in seconds per word overrides the pace);
    ``local`` -> ``LocalModel``; other presets, the registry's stored configs and the
    inline ``configs`` (a template's ``models``) -> ``OpenAIChatModel``. API keys come
    from ``secrets`` (by ``api_key_secret``) or the environment (by ``api_key_env``), or
    from ``api_key`` when given (then ``secrets`` is not used).
    ``timeout`` and ``retries``, when given, replace every OpenAI-compatible model's own
    (a run started with ``roundtable run --timeout/--retries``).
    """
    limits = _Limits(timeout, retries)
    configs = {k: ModelConfig.model_validate(v) if isinstance(v, Mapping) else v
               for k, v in (configs or {}).items()}
    secrets = dict(secrets or {})
    demo_options = {**(demo or {}), "pace": demo_pace}
    if demo_token_delay is not None:
        demo_options["token_delay"] = demo_token_delay
    cache: dict[str, ModelClient] = {}
    lock = threading.Lock()

    def resolve(name: str) -> ModelClient:
        with lock:
            if name not in cache:
                cache[name] = _make(name, set())
            return cache[name]

    def _make(name: str, seen: set[str]) -> ModelClient:
        if name in seen:
            raise BuildError(f"model {name!r} refers to itself")
        seen.add(name)
        ref = configs.get(name)
        if isinstance(ref, str):
            return resolve_inner(ref, seen)
        if isinstance(ref, ModelConfig):
            return _client(name, _preset_for(registry, name, ref), secrets, demo_options,
                           limits, api_key)
        if name in registry.models:
            return _client(name, registry.models[name], secrets, demo_options, limits, api_key)
        known = sorted(set(configs) | set(registry.models))
        raise BuildError(f"unknown model {name!r}; known: {', '.join(known)}")

    def resolve_inner(name: str, seen: set[str]) -> ModelClient:
        if name not in cache:
            cache[name] = _make(name, seen)
        return cache[name]

    return resolve


def _preset_for(registry: Registry, name: str, config: ModelConfig) -> ModelPreset:
    from .registry import ModelPreset

    if config.preset is not None:
        if config.preset not in registry.models:
            raise BuildError(f"model {name!r}: unknown preset {config.preset!r}")
        return registry.models[config.preset].merged(config)
    provider = config.provider or "openai_compatible"
    api_type = {"demo": "demo", "local": "local", "azure": "azure"}.get(provider, "openai")
    data = config.model_dump(exclude_none=True, exclude={"preset"})
    return ModelPreset.model_validate({**data, "name": name, "label": config.label or name,
                                       "provider": provider, "api_type": api_type,
                                       "needs_key": provider in ("openai", "azure")})


@dataclass(frozen=True)
class _Limits:
    """Run-wide overrides of the models' request timeout and retry budget."""

    timeout: float | None = None
    retries: int | None = None


def _client(name: str, preset: ModelPreset, secrets: Mapping[str, str],
            demo_options: Mapping[str, Any], limits: _Limits,
            api_key: KeyProvider | None = None) -> ModelClient:
    if preset.api_type == "demo":
        from studio.engine.models import DemoModel

        return DemoModel(**demo_options)
    if preset.api_type == "local":
        from studio.engine.models import LocalModel, local_model_available

        ready, hint = local_model_available()
        if not ready:
            raise BuildError(f"model {name!r}: the local model cannot run here: {hint}")
        return LocalModel()
    if not preset.model:
        raise BuildError(f"model {name!r}: set the model name (e.g. gpt-4o-mini)")
    key = api_key(name, preset) if api_key is not None else _api_key(name, preset, secrets)
    from studio.engine.models import DEFAULT_RETRIES, DEFAULT_TIMEOUT, OpenAIChatModel

    timeout = limits.timeout or preset.timeout or DEFAULT_TIMEOUT
    retries = next((r for r in (limits.retries, preset.retries) if r is not None), DEFAULT_RETRIES)
    # A stored configuration is named by the person: runs show that name. A template's
    # inline entry without a label is shown as "model (host)".
    named = preset.label != name or preset.origin == "user"
    return OpenAIChatModel(
        preset.model, base_url=preset.base_url, api_key=key,
        api_type="azure" if preset.api_type == "azure" else "openai",
        api_version=preset.api_version, label=preset.label if named else None,
        timeout=timeout, max_retries=retries, price=preset.price,
    )


def _api_key(name: str, preset: ModelPreset, secrets: Mapping[str, str]) -> str:
    if preset.api_key_secret:
        if preset.api_key_secret in secrets:
            return secrets[preset.api_key_secret]
        if preset.needs_key or not preset.api_key_env:
            raise BuildError(f"model {name!r}: the stored secret {preset.api_key_secret!r} "
                             "does not exist; add it under Models > Secrets")
    if preset.api_key_env:
        value = os.environ.get(preset.api_key_env, "").strip()
        if value:
            return value
        if preset.needs_key:
            raise BuildError(f"model {name!r}: no API key: set the {preset.api_key_env} "
                             "environment variable or give the model a stored secret")
    elif preset.needs_key:
        raise BuildError(f"model {name!r}: needs an API key: set api_key_env or api_key_secret")
    return "not-needed"  # local OpenAI-compatible servers accept any key
