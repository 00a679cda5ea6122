"""From a template and the studio's store to a built team: models, secrets, the registry."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.spec import ModelConfig as SpecModelConfig
from studio.spec import Registry, RegistryError, TemplateSpec

from ._documents import collection_resolver

if TYPE_CHECKING:
    from studio.engine import ModelClient
    from studio.store import Actor, Store

_PROVIDERS = ("openai", "azure", "ollama", "lmstudio", "vllm", "llamacpp", "openai_compatible",
              "demo", "local")


def actor_registry(store: Store, actor: Actor, base: Registry) -> Registry:
    """A fresh registry: ``base`` (left untouched) plus what the actor may use from the store."""
    fresh = Registry()
    fresh.models, fresh.agent_presets, fresh.tools = (dict(base.models), dict(base.agent_presets),
                                                      dict(base.tools))
    return registry_with_store(store, actor, fresh)


def registry_with_store(store: Store, actor: Actor, base: Registry | None = None) -> Registry:
    """A registry holding the bundled components plus the model configs and tools the
    actor may use (their own, and the shared models).

    Entries that cannot be loaded (a broken custom tool) are skipped here; the Builder
    reports them where they are edited.
    """
    registry = Registry.bundled() if base is None else base
    for config in store.list_model_configs(actor):
        if config.name in registry.models and registry.models[config.name].origin == "bundled":
            continue
        provider = config.provider if config.provider in _PROVIDERS else "openai_compatible"
        data: dict[str, Any] = {"provider": provider, "label": config.name}
        for key in ("model", "base_url", "api_key_env", "api_key_secret", "api_version"):
            value = getattr(config, key)
            if value:
                data[key] = value
        if config.api_type == "azure" and provider != "azure":
            data["api_type"] = "azure"
        data.update(request_limits(config.extra))
        if config.price is not None:  # the price set on the Models page
            data["price_input"], data["price_output"] = config.price
        try:
            registry.add_model(config.name, data, origin="user")
        except RegistryError:
            continue
    for tool in store.list_tools(actor):
        try:
            registry.add_tool(tool.name, tool.source, description=tool.description, origin="user")
        except RegistryError:
            continue
    return registry


def request_limits(extra: dict[str, Any] | None) -> dict[str, Any]:
    """The request timeout (seconds) and retry budget kept in a stored config's ``extra``."""
    limits: dict[str, Any] = {}
    for key, kind in (("timeout", float), ("retries", int)):
        value = (extra or {}).get(key)
        if value is not None:
            try:
                limits[key] = kind(value)
            except (TypeError, ValueError):
                continue  # a hand-edited backup: the model keeps its default
    return limits


def _demo_backed(spec: TemplateSpec, registry: Registry, ref: str | None) -> bool:
    seen: set[str] = set()
    while ref is not None and ref not in seen:
        seen.add(ref)
        target = spec.models.get(ref)
        if isinstance(target, str):
            ref = target
            continue
        if isinstance(target, SpecModelConfig):
            return target.provider == "demo" or (target.preset is not None
                                                 and _demo_backed(spec, registry, target.preset))
        preset = registry.models.get(ref)
        return preset is not None and preset.api_type == "demo"
    return False


def streamed_for_demo(spec: TemplateSpec, registry: Registry, model: str | None) -> TemplateSpec:
    """A copy of ``spec`` whose Demo-backed agents stream (so a paced demo looks alive)."""
    data = copy.deepcopy(spec.to_dict())
    override_demo = model is not None and _demo_backed(spec, registry, model)
    for agent in data.get("agents", []):
        if override_demo or (model is None and _demo_backed(spec, registry, agent.get("model"))):
            agent["stream"] = True
    return TemplateSpec.model_validate(data)


ALLOW_UNSANDBOXED = "allow_unsandboxed_code"  # setting: run local code without bubblewrap
DEMO_PACE = "demo_pace"  # setting: how fast the Demo model streams, "instant" or "readable"
# setting: the `roundtable serve` processes running now (written by each while it runs, read
# by the studio's Deploy page): {"host:port": {"url", "templates", "keys_required", ...}}
SERVE_INSTANCES = "serve_instances"


def demo_pace(store: Store, default: str = "readable") -> str:
    """The studio's Demo pace setting (``default`` until someone chooses)."""
    value = store.get_setting(DEMO_PACE, default)
    return value if value in ("instant", "readable") else default


class ModelSetup:
    """The model resolver of one run, recording the labels of the clients it hands out."""

    def __init__(self, spec: TemplateSpec, registry: Registry, store: Store, actor: Actor, *,
                 demo_pace: str = "instant", demo_token_delay: float | None = None,
                 timeout: float | None = None, retries: int | None = None) -> None:
        from studio.spec._resolve import default_model_resolver

        from ._keys import key_provider

        self._resolve = default_model_resolver(
            registry, spec.demo_options(), None, dict(spec.models), demo_pace=demo_pace,
            demo_token_delay=demo_token_delay, timeout=timeout, retries=retries,
            api_key=key_provider(store, actor))
        self.labels: list[str] = []

    def resolve(self, name: str) -> ModelClient:
        client = self._resolve(name)
        label = str(getattr(client, "label", "") or name)
        if label not in self.labels:
            self.labels.append(label)
        return client

    @property
    def label(self) -> str:
        return ", ".join(self.labels)


def build(spec: TemplateSpec, *, registry: Registry, resolve_model: Callable[[str], Any],
          work_dir: Path, model_override: Any | None, human_input_override: str | None,
          allow_unsandboxed: bool = False,
          resolve_collection: Callable[[str], Any] | None = None) -> Any:
    """``studio.spec.build_team``, imported when a run starts (it brings in the engine's
    executors, which commands that run nothing need not load)."""
    from studio.spec import build_team

    return build_team(spec, resolve_model=resolve_model, registry=registry, work_dir=work_dir,
                      model_override=model_override, human_input_override=human_input_override,
                      allow_unsandboxed=allow_unsandboxed, resolve_collection=resolve_collection)


def make_team(spec: TemplateSpec, *, store: Store, registry: Registry, actor: Actor,
              work_dir: Path, options: dict[str, Any]) -> tuple[Any, str]:
    """The team a run executes and its model label. ``options`` are how the run was started
    (kept on its record, so a worker builds the same team): ``model`` (None: the template's
    own; else every agent on "demo", "local" or a stored config), ``human`` ("never" asks no
    one), ``timeout``/``retries``, ``demo_pace`` and ``demo_token_delay``. Raises
    ``BuildError`` (or ``RunError``) when it cannot be built here. Keys are those the
    ``actor`` (who started the run) may use, for the hosts they were saved for, and a
    retrieval proxy reads the actor's own document collection of the name it gives."""
    model = options.get("model")
    pace = str(options.get("demo_pace") or "instant")
    delay = float(options.get("demo_token_delay") or 0.0)
    setup = ModelSetup(spec, registry, store, actor, demo_pace=pace,
                       demo_token_delay=delay or None,
                       timeout=options.get("timeout"), retries=options.get("retries"))
    override = setup.resolve(model) if model else None
    paced = pace == "readable" or delay > 0
    runnable = streamed_for_demo(spec, registry, model) if paced else spec
    team = build(runnable, registry=registry, resolve_model=setup.resolve, work_dir=work_dir,
                 model_override=override,
                 human_input_override="never" if options.get("human") == "never" else None,
                 allow_unsandboxed=bool(store.get_setting(ALLOW_UNSANDBOXED, False)),
                 resolve_collection=collection_resolver(store, actor, registry))
    return team, setup.label or (model or "")
