"""The component registry: model presets, agent presets and tools.

Bundled components (``components/``) are loaded through the same door as the user's
own additions (:meth:`Registry.add_tool`, :meth:`Registry.add_model`,
:meth:`Registry.add_agent_preset`), so the Builder lists both alike.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._models import AgentSpec, ModelConfig, Provider
from ._resources import bundled_dir
from ._tool_source import (
    ToolSourceError,
    check_tool_source,
    docstring_of,
    load_function,
    make_tool,
)

Origin = Literal["bundled", "user"]


class RegistryError(ValueError):
    """A component cannot be added or found; the message says what to fix."""


class ModelPreset(BaseModel):
    """A named model configuration the Builder offers (``demo``, ``openai``, ``ollama``...)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    label: str
    provider: Provider
    api_type: Literal["demo", "local", "openai", "azure"] = "openai"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    api_key_secret: str | None = None
    api_version: str | None = None
    needs_key: bool = False
    description: str = ""
    origin: Origin = "bundled"
    timeout: float | None = Field(default=None, gt=0, le=3600)  # seconds; None: the default
    retries: int | None = Field(default=None, ge=0, le=10)
    # USD per 1M tokens; both or neither (None: the engine's price list, else free)
    price_input: float | None = Field(default=None, ge=0)
    price_output: float | None = Field(default=None, ge=0)

    @property
    def price(self) -> tuple[float, float] | None:
        if self.price_input is None or self.price_output is None:
            return None
        return (self.price_input, self.price_output)

    def merged(self, config: ModelConfig) -> ModelPreset:
        """This preset with the fields set in ``config`` laid over it."""
        data = self.model_dump()
        data.update(config.model_dump(exclude_none=True, exclude={"preset"}))
        return ModelPreset.model_validate(data)


class AgentPreset(BaseModel):
    """A partial agent the Builder drops onto the canvas (given a name there)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    label: str
    icon: str = ""
    agent: dict[str, Any] = Field(default_factory=dict)  # AgentSpec fields except the name
    origin: Origin = "bundled"


class RegisteredTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    source: str
    origin: Origin = "bundled"

    def function(self) -> Any:
        """The function itself, loaded in this process: bundled tools only."""
        if self.origin != "bundled":
            raise ToolSourceError(f"tool {self.name!r} is not bundled: it runs only in the "
                                  "code sandbox")
        return load_function(self.name, self.source)

    def tool(self, sandbox: Any = None) -> Any:
        """The engine ``Tool`` (schema from the function's signature and docstring). A tool
        that is not bundled runs in ``sandbox`` (a code executor), and needs one."""
        if self.origin != "bundled" and sandbox is None:
            raise ToolSourceError(f"tool {self.name!r} is not bundled: it runs only in the "
                                  "code sandbox")
        return make_tool(self.name, self.source, self.description,
                         sandbox=None if self.origin == "bundled" else sandbox)


class Registry:
    """Everything a template may refer to by name."""

    def __init__(self) -> None:
        self.models: dict[str, ModelPreset] = {}
        self.agent_presets: dict[str, AgentPreset] = {}
        self.tools: dict[str, RegisteredTool] = {}

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def bundled(cls) -> Registry:
        """A registry holding the components shipped with the studio."""
        registry = cls()
        registry.load_components(bundled_dir("components"), origin="bundled")
        return registry

    def load_components(self, root: Traversable, *, origin: Origin = "user") -> None:
        """Load ``models.yaml``, ``agents.yaml`` and ``tools/*.py`` from a folder."""
        models_file = root / "models.yaml"
        if models_file.is_file():
            for name, data in _read_yaml_mapping(models_file).items():
                self.add_model(name, data, origin=origin)
        agents_file = root / "agents.yaml"
        if agents_file.is_file():
            for name, data in _read_yaml_mapping(agents_file).items():
                self.add_agent_preset(name, data, origin=origin)
        tools_dir = root / "tools"
        if tools_dir.is_dir():
            for entry in sorted(tools_dir.iterdir(), key=lambda e: e.name):
                if entry.name.endswith(".py") and not entry.name.startswith("_"):
                    self.add_tool(entry.name[:-3], entry.read_text(encoding="utf-8"), origin=origin)

    # -- additions -------------------------------------------------------------------------
    def add_model(self, name: str, config: ModelConfig | dict[str, Any], *,
                  origin: Origin = "user") -> ModelPreset:
        """Add a model configuration (a preset, or a stored config from the studio)."""
        data = config.model_dump(exclude_none=True) if isinstance(config, ModelConfig) else dict(config)
        base_name = data.pop("preset", None)
        if base_name is not None:
            base = self.model(base_name)
            data = {**base.model_dump(exclude={"name", "origin"}), **data}
        data.setdefault("label", name)
        data.setdefault("provider", "openai_compatible")
        if data.get("provider") in ("demo", "local"):
            data.setdefault("api_type", data["provider"])
        elif data.get("provider") == "azure":
            data.setdefault("api_type", "azure")
        try:
            preset = ModelPreset.model_validate({**data, "name": name, "origin": origin})
        except ValidationError as exc:
            raise RegistryError(f"model {name!r}: {_first_error(exc)}") from exc
        self.models[name] = preset
        return preset

    def add_agent_preset(self, name: str, data: dict[str, Any], *,
                         origin: Origin = "user") -> AgentPreset:
        data = dict(data)
        agent = dict(data.pop("agent", {}))
        try:
            AgentSpec.model_validate({**agent, "name": "preset"})
            preset = AgentPreset.model_validate(
                {"label": name, **data, "agent": agent, "name": name, "origin": origin})
        except ValidationError as exc:
            raise RegistryError(f"agent preset {name!r}: {_first_error(exc)}") from exc
        self.agent_presets[name] = preset
        return preset

    def add_tool(self, name: str, source: str, *, description: str = "",
                 origin: Origin = "user") -> RegisteredTool:
        """Add a tool from the source of a plain documented function named ``name``."""
        problem = check_tool_source(name, source)
        if problem:
            raise RegistryError(problem)
        doc = docstring_of(name, source)  # read, not run: a tool runs when a team uses it
        doc = doc.strip().split("\n\n")[0].replace("\n", " ").strip()
        tool = RegisteredTool(name=name, description=description or doc, source=source,
                              origin=origin)
        self.tools[name] = tool
        return tool

    def remove(self, kind: Literal["model", "agent", "tool"], name: str) -> None:
        tables: dict[str, dict[str, Any]] = {"model": self.models, "agent": self.agent_presets,
                                             "tool": self.tools}
        table = tables[kind]
        table.pop(name, None)

    # -- look-ups --------------------------------------------------------------------------
    def model(self, name: str) -> ModelPreset:
        try:
            return self.models[name]
        except KeyError:
            raise RegistryError(
                f"unknown model {name!r}; known: {', '.join(sorted(self.models)) or 'none'}"
            ) from None

    def tool(self, name: str) -> RegisteredTool:
        try:
            return self.tools[name]
        except KeyError:
            raise RegistryError(
                f"unknown tool {name!r}; known: {', '.join(sorted(self.tools)) or 'none'}"
            ) from None

    def agent_from_preset(self, preset: str, name: str, **overrides: Any) -> AgentSpec:
        """A new agent spec from a preset (what dropping a preset on the canvas makes)."""
        try:
            data = self.agent_presets[preset].agent
        except KeyError:
            raise RegistryError(f"unknown agent preset {preset!r}") from None
        return AgentSpec.model_validate({**data, **overrides, "name": name})


def _read_yaml_mapping(path: Traversable) -> dict[str, Any]:
    from ._io import YAML_LOADER

    data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}  # noqa: S506
    if not isinstance(data, dict):
        raise RegistryError(f"{path.name}: expected a mapping of names to entries")
    return data


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
