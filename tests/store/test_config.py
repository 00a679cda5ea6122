"""Model configs, secrets (masked, never exported), custom tools and settings."""

from __future__ import annotations

import re

import pytest

from studio.store import Actor, ModelConfig, NotFound, Store, StoreError, mask_secret

LOCAL = Actor.local()

KEY = "sk-proj-0123456789abcdefWXYZ"


def test_model_configs_round_trip(store: Store) -> None:
    azure = ModelConfig(
        name="Azure GPT",
        provider="azure",
        model="gpt-4o",
        base_url="https://x.openai.azure.com",
        api_type="azure",
        api_version="2024-06-01",
        api_key_env="AZURE_OPENAI_API_KEY",
        price_input=2.5,
        price_output=10.0,
        extra={"deployment": "gpt4o"},
    )
    local = ModelConfig(name="Ollama", provider="ollama", model="llama3", base_url="http://x")

    store.save_model_config(LOCAL, azure)
    store.save_model_config(LOCAL, local)

    assert store.get_model_config(LOCAL, "Azure GPT") == azure
    assert store.get_model_config(LOCAL, "Azure GPT").price == (2.5, 10.0)
    assert [m.name for m in store.list_model_configs(LOCAL)] == ["Azure GPT", "Ollama"]

    store.save_model_config(LOCAL, ModelConfig(name="Ollama", model="qwen2", api_key_secret="ollama"))
    assert store.get_model_config(LOCAL, "Ollama").model == "qwen2"
    assert store.get_model_config(LOCAL, "Ollama").base_url is None
    assert len(store.list_model_configs(LOCAL)) == 2

    store.delete_model_config(LOCAL, "Ollama")
    with pytest.raises(NotFound, match="model config 'Ollama'"):
        store.get_model_config(LOCAL, "Ollama")


def test_model_config_mistakes_are_named(store: Store) -> None:
    with pytest.raises(StoreError, match="not both"):
        store.save_model_config(LOCAL, ModelConfig(name="m", api_key_env="K", api_key_secret="s"))
    with pytest.raises(StoreError, match="both input and output"):
        store.save_model_config(LOCAL, ModelConfig(name="m", price_input=1.0))
    with pytest.raises(StoreError, match="extra must be JSON"):
        store.save_model_config(LOCAL, ModelConfig(name="m", extra={"x": object()}))


def test_secrets_are_masked_and_kept_apart(store: Store) -> None:
    info = store.set_secret(LOCAL, "openai", KEY)

    assert info.preview == "sk-...WXYZ"
    assert KEY not in repr(info)
    assert store.secret_for_use(LOCAL, "openai", None) == KEY
    assert [(s.name, s.preview) for s in store.list_secrets(LOCAL)] == [("openai", "sk-...WXYZ")]
    assert KEY not in repr(store.list_secrets(LOCAL))

    store.set_secret(LOCAL, "openai", "sk-new-value-0000")
    assert store.secret_for_use(LOCAL, "openai", None) == "sk-new-value-0000"
    store.delete_secret(LOCAL, "openai")
    with pytest.raises(NotFound, match="secret 'openai'"):
        store.secret_for_use(LOCAL, "openai", None)
    with pytest.raises(StoreError, match="non-empty"):
        store.set_secret(LOCAL, "empty", "")


def test_mask_secret_never_shows_much() -> None:
    assert mask_secret("sk-abcdefghijkl") == "sk-...ijkl"
    assert mask_secret("plainsecretvalue") == "...alue"
    assert mask_secret("short") == "*****"
    assert mask_secret("") == ""


def test_custom_tools(store: Store) -> None:
    source = 'def shout(text: str) -> str:\n    """Shout.\n\n    Args:\n        text: what.\n    """\n    return text.upper()\n'
    store.save_tool(LOCAL, "shout", source, "Upper-cases text")
    store.save_tool(LOCAL, "add", "def add(a: int, b: int) -> int:\n    return a + b\n")

    assert [t.name for t in store.list_tools(LOCAL)] == ["add", "shout"]
    assert store.get_tool(LOCAL, "shout").source == source
    store.save_tool(LOCAL, "shout", source.replace("upper", "lower"), "Lower")
    assert store.get_tool(LOCAL, "shout").description == "Lower"
    store.delete_tool(LOCAL, "add")
    assert [t.name for t in store.list_tools(LOCAL)] == ["shout"]
    with pytest.raises(NotFound, match="tool 'add'"):
        store.delete_tool(LOCAL, "add")


def test_settings_hold_json_values(store: Store) -> None:
    assert store.get_setting("allow_unsandboxed_code", False) is False
    store.set_setting(LOCAL, "allow_unsandboxed_code", True)
    store.set_setting(LOCAL, "layout", {"columns": [1, 2], "theme": "dark"})

    assert store.get_setting("allow_unsandboxed_code") is True
    assert store.get_setting("layout") == {"columns": [1, 2], "theme": "dark"}
    assert store.settings() == {
        "allow_unsandboxed_code": True,
        "layout": {"columns": [1, 2], "theme": "dark"},
    }
    store.set_setting(LOCAL, "layout", None)
    assert store.get_setting("layout", "gone") == "gone"
    with pytest.raises(StoreError, match="JSON data"):
        store.set_setting(LOCAL, "bad", {1, 2})


@pytest.mark.parametrize(("url", "says"), [
    ("localhost 8000", "is not a web address starting with http:// or https://"),
    ("localhost:8000/v1", "is not a web address starting with http:// or https://"),
    ("ftp://files.example/v1", "is not a web address starting with http:// or https://"),
    ("http://:8000/v1", "names no server"),
    ("http://localhost:80000/v1", "has a port that is not a number from 1 to 65535"),
])
def test_a_base_url_that_is_not_a_web_address_is_refused_when_saved(
        store: Store, url: str, says: str) -> None:
    with pytest.raises(StoreError, match=re.escape(says) + ".*http://localhost:8000/v1"):
        store.save_model_config(LOCAL, ModelConfig(name="mine", model="m", base_url=url))
    assert store.list_model_configs(LOCAL) == []
    for good in ("http://localhost:8000/v1", "https://api.example.com/v1",
                 "http://[::1]:11434/v1", " http://127.0.0.1:8080/v1 "):
        store.save_model_config(LOCAL, ModelConfig(name="mine", model="m", base_url=good))
