"""What the pages offer: templates (bundled and saved) and model choices."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from studio.spec import Registry, TemplateSpec, bundled_templates, load_template
from studio.store import Actor, Store

DEMO = "demo"
LOCAL = "local"


@dataclass(frozen=True)
class TemplateEntry:
    key: str  # unique: the bundled file name, or "saved:<name>"
    spec: TemplateSpec
    origin: str  # "bundled" | "saved"
    owner: str = ""  # who shared it with you ("" for your own and the bundled ones)
    shared: bool = False  # offered to the whole workshop

    @property
    def name(self) -> str:
        return self.spec.name


def templates(store: Store, registry: Registry, actor: Actor,
              bundled_registry: Registry | None = None) -> dict[str, TemplateEntry]:
    """Bundled templates, then the stored ones the actor sees (their own, the shared ones;
    administrators: everyone's), newest versions. ``registry`` validates the stored ones
    (the actor's registry); ``bundled_registry`` (default: ``registry``) the bundled ones."""
    entries = {key: TemplateEntry(key, spec, "bundled")
               for key, spec in _bundled(bundled_registry or registry).items()}
    bundled_names = {e.name for e in entries.values()}
    for info in store.list_templates(actor):
        if info.name in bundled_names:
            continue
        owner = "" if actor.is_owner(info.owner_id) else (info.owner_name or "the workshop")
        key = f"saved:{info.name}" if not owner else f"saved:{info.name}:{info.owner_id}"
        if key in entries:
            continue
        try:
            document = store.template_document(actor, info.name, owner_id=info.owner_id)
            spec = load_template(document, registry=registry)
        except Exception:  # noqa: BLE001 - a broken saved template is left out of the list
            continue
        entries[key] = TemplateEntry(key, spec, "saved", owner, info.shared)
    return entries


@functools.lru_cache(maxsize=4)
def _bundled(registry: Registry) -> dict[str, TemplateSpec]:
    return bundled_templates(registry=registry)


def pattern_label(spec: TemplateSpec) -> str:
    kind = spec.pattern.kind.value
    if kind == "group":
        method = spec.pattern.group.speaker_selection if spec.pattern.group else "auto"
        return f"Group chat ({method.replace('_', ' ')} selection)"
    if kind == "sequence":
        return "Sequence of chats"
    nested = any(a.nested_chats for a in spec.agents)
    return "Two-agent chat with a nested chat" if nested else "Two-agent chat"


@functools.lru_cache(maxsize=1)
def local_available() -> tuple[bool, str]:
    """Whether the offline Local model can run here, and why not."""
    try:
        from studio.engine.models import local_model_available
    except ImportError:
        return False, "the Local model is not part of this installation"
    ok, why = local_model_available()
    return bool(ok), str(why)


def model_choices(store: Store, actor: Actor) -> dict[str, str]:
    """Model choice value -> label: Demo, Local (when installed), then the stored configs the
    actor may use (their own and the shared ones)."""
    choices = {DEMO: "Demo model (offline)"}
    if local_available()[0]:
        choices[LOCAL] = "Local model (SmolLM2, offline)"
    for config in store.list_model_configs(actor):
        if config.name in choices:
            continue
        shared = " · shared by the workshop" if config.shared and not actor.is_owner(
            config.owner_id) else ""
        choices[config.name] = (f"{config.name} — {config.model or '?'} "
                                f"({config.provider or 'openai'}){shared}")
    return choices
