"""Model configs for the Models page: from a preset, from an OAI_CONFIG_LIST, and testing one."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from studio.spec import Registry
from studio.store import Actor, ModelConfig, Store, StoreError, check_base_url

_NAME = re.compile(r"[^a-zA-Z0-9_.-]+")


def secret_name_for(config_name: str) -> str:
    return f"{config_name}-api-key"


def save_from_form(store: Store, actor: Actor, *, preset: str, name: str, base_url: str,
                   model: str, api_version: str, key_env: str, key_value: str,
                   registry: Registry, shared: bool = False, timeout: float | None = None,
                   retries: int | None = None) -> ModelConfig:
    """Save a config; a pasted key becomes a stored secret (only its name is in the config),
    bound to the host of the base URL (or the preset's). ``timeout`` and ``retries`` are the
    model's request limits (None: the defaults)."""
    name = name.strip()
    if not name:
        raise ValueError("Give the model a name (e.g. 'my-gpt').")
    if not model.strip():
        raise ValueError("Give the model name the server knows (e.g. 'gpt-4o-mini' or 'llama3.1').")
    base = registry.model(preset) if preset in registry.models else None
    provider = base.provider if base is not None else "openai_compatible"
    url = base_url.strip() or None
    secret = None
    if key_value.strip():
        secret = secret_name_for(name)
    config = ModelConfig(
        name=name, provider=provider, model=model.strip(), base_url=url,
        api_type="azure" if provider == "azure" else "openai",
        api_version=api_version.strip() or None,
        api_key_env=None if secret else (key_env.strip() or None), api_key_secret=secret,
        shared=shared, extra=_limits(timeout, retries))
    if config.api_key_env:  # refused before anything is stored
        store.check_key_env(actor, config.api_key_env, url)
    if secret:
        store.set_secret(actor, secret, key_value.strip(), base_url=url)
    return store.save_model_config(actor, config)


def _limits(timeout: float | None, retries: int | None) -> dict[str, Any]:
    if timeout is not None and not 0 < timeout <= 3600:
        raise ValueError("The timeout is a number of seconds between 1 and 3600.")
    if retries is not None and not 0 <= retries <= 10:
        raise ValueError("Retries is a number between 0 and 10.")
    return {k: v for k, v in (("timeout", timeout), ("retries", retries)) if v is not None}


def limits_of(config: ModelConfig) -> tuple[float, int]:
    """The (timeout seconds, retries) a model config runs with."""
    from studio.engine.models import DEFAULT_RETRIES, DEFAULT_TIMEOUT
    from studio.runs import request_limits

    limits = request_limits(config.extra)
    return float(limits.get("timeout", DEFAULT_TIMEOUT)), int(limits.get("retries", DEFAULT_RETRIES))


def set_limits(store: Store, actor: Actor, name: str, timeout: float,
               retries: int) -> ModelConfig:
    """Change a stored config's request timeout and retry budget, and nothing else."""
    config = store.get_model_config(actor, name)
    extra = {**config.extra, **_limits(timeout, retries)}
    return store.save_model_config(actor, dataclasses.replace(config, extra=extra))


def price_of(config: ModelConfig) -> tuple[tuple[float, float] | None, str]:
    """The (input, output) USD price per 1M tokens a config's calls cost, and where it comes
    from: "yours" (set on the Models page), "list" (the studio's price list) or "unknown"."""
    from studio.engine import price_for

    if config.price is not None:
        return config.price, "yours"
    listed = price_for(config.model or "")
    return (listed, "list") if listed is not None else (None, "unknown")


def set_price(store: Store, actor: Actor, name: str, price_input: float | None,
              price_output: float | None) -> ModelConfig:
    """Set (both) or clear (neither) a stored config's price per 1M tokens."""
    if (price_input is None) != (price_output is None):
        raise ValueError("Give both prices (input and output), or clear both.")
    for value in (price_input, price_output):
        if value is not None and not 0 <= value <= 10_000:
            raise ValueError("A price is in US dollars per million tokens, from 0 to 10000.")
    config = store.get_model_config(actor, name)
    return store.save_model_config(actor, dataclasses.replace(
        config, price_input=price_input, price_output=price_output))


def describe_price(config: ModelConfig) -> str:
    price, source = price_of(config)
    if price is None:
        return "price unknown: its calls count as $0"
    where = {"yours": "your price", "list": "the studio's price list"}[source]
    return f"${price[0]:g} in / ${price[1]:g} out per 1M tokens ({where})"


def describe_limits(config: ModelConfig) -> str:
    timeout, retries = limits_of(config)
    return (f"waits up to {timeout:g} s for an answer, then tries {retries} more "
            f"time{'s' if retries != 1 else ''}")


def parse_oai_config_list(text: str) -> list[dict[str, Any]]:
    """The entries of an OAI_CONFIG_LIST file (a JSON list of {model, api_key?, base_url?, ...})."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"The file is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("An OAI_CONFIG_LIST is a JSON list of objects with at least a 'model'.")
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not str(entry.get("model", "")).strip():
            raise ValueError(f"Entry {index + 1} has no 'model': each entry needs one.")
        if entry.get("base_url"):
            try:
                check_base_url(str(entry["base_url"]))
            except StoreError as exc:  # found before anything is saved
                raise ValueError(f"Entry {index + 1}: {exc}.") from None
    return data


def import_oai_config_list(store: Store, actor: Actor,
                           entries: list[dict[str, Any]]) -> list[str]:
    """Save each entry as a model config; keys become stored secrets. Returns the names."""
    taken = {c.name for c in store.list_model_configs(actor) if actor.is_owner(c.owner_id)}
    names = []
    for entry in entries:
        base = _NAME.sub("-", str(entry["model"]).strip()).strip("-") or "model"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        api_type = str(entry.get("api_type") or "openai").lower()
        azure = api_type == "azure"
        secret = None
        if entry.get("api_key"):
            secret = secret_name_for(name)
            store.set_secret(actor, secret, str(entry["api_key"]),
                             base_url=entry.get("base_url") or None)
        store.save_model_config(actor, ModelConfig(
            name=name, provider="azure" if azure else _guess_provider(entry.get("base_url")),
            model=str(entry["model"]), base_url=entry.get("base_url") or None,
            api_type="azure" if azure else "openai", api_version=entry.get("api_version") or None,
            api_key_secret=secret))
        names.append(name)
    return names


def _guess_provider(base_url: str | None) -> str:
    url = (base_url or "").lower()
    for port, provider in ((":11434", "ollama"), (":1234", "lmstudio"), (":8000", "vllm"),
                           (":8080", "llamacpp")):
        if port in url:
            return provider
    return "openai" if not url or "api.openai.com" in url else "openai_compatible"


def key_description(store: Store, actor: Actor, config: ModelConfig) -> str:
    """How the key is found, never the key: env var (set or not) or a masked secret."""
    import os

    if config.shared and not actor.is_owner(config.owner_id) and not actor.is_admin:
        return "the workshop's key (used for you, never shown)"
    if config.api_key_secret:
        found = {s.name: s for s in store.list_secrets(actor)
                 if s.name == config.api_key_secret}
        secret = found.get(config.api_key_secret)
        return (f"stored secret `{config.api_key_secret}` ({secret.preview}, sent only to "
                f"{secret.host or 'no server yet: save it again'})" if secret
                else f"stored secret `{config.api_key_secret}` (missing: save the key again)")
    if config.api_key_env:
        state = "set" if os.environ.get(config.api_key_env) else "not set in this environment"
        return f"environment variable `{config.api_key_env}` ({state})"
    return "no key (local servers need none)"


def check_model(store: Store, actor: Actor, config: ModelConfig, timeout: float = 10.0) -> str:
    """Send one tiny request; return the OK line or raise ModelError saying what to fix.
    The key obeys the same rules as a run (``studio.runs.api_key_for``): a stored key
    only goes to the host it was saved for, a server variable only when allowed."""
    from studio.engine.models import OpenAIChatModel
    from studio.runs import api_key_for

    key = api_key_for(store, actor, config.name, base_url=config.base_url,
                      api_key_secret=config.api_key_secret, api_key_env=config.api_key_env,
                      needs_key=False)
    client = OpenAIChatModel(
        config.model, base_url=config.base_url, api_key=key, api_key_env=None,
        api_type="azure" if config.api_type == "azure" else "openai", api_version=config.api_version,
        timeout=timeout, max_retries=0, price=config.price, label=config.name)
    return client.check(timeout=timeout)


_HINTS = {
    "connection": "Is the server running at that address? Start it, then check the base URL's "
                  "host and port.",
    "bad_url": "Check the base URL: most servers need it to end in /v1 (e.g. http://localhost:11434/v1).",
    "auth": "The key was refused or is missing: check the key, or the environment variable's value.",
    "not_found": "The server does not know this model name: check the spelling, or pull/load the model.",
    "timeout": "The server did not answer in time: it may be busy or loading the model; try again, "
               "or give it a longer timeout under Timeout and retries.",
    "rate_limit": "The server says too many requests or no quota left: wait, or check your plan.",
    "server": "The server had an internal error: look at its log.",
}


def failure_hint(kind: str) -> str:
    return _HINTS.get(kind, "")
