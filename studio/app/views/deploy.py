"""Deploy (administrators): serve templates over HTTP with `roundtable serve`, see the
services running now with copy-paste examples, and create or revoke API keys."""

from __future__ import annotations

import streamlit as st

from studio.app._auth import current_actor
from studio.app._catalog import templates
from studio.app._deploy import examples, serve_command, services_running, when
from studio.app._guard import page_guard, show_error
from studio.app._services import services

NEW_KEY = "deploy_new_key"  # (name, key) shown once after creating it


def _create_key(svc) -> None:  # noqa: ANN001 - Services
    name = st.session_state.get("deploy_key_name", "")
    limit = int(st.session_state.get("deploy_key_limit") or 0)
    try:
        record, key = svc.store.create_api_key(current_actor(), name,
                                               rate_limit=limit or None)
    except Exception as exc:  # noqa: BLE001 - said next to the form
        st.session_state["deploy_flash"] = ("error", f"The key was not created: {exc}")
        return
    st.session_state[NEW_KEY] = (record.name, key)
    st.session_state["deploy_key_name"] = ""


def _revoke(svc, key_id: int, name: str) -> None:  # noqa: ANN001
    try:
        svc.store.revoke_api_key(current_actor(), key_id)
    except Exception as exc:  # noqa: BLE001
        st.session_state["deploy_flash"] = ("error", f"The key was not revoked: {exc}")
        return
    st.session_state["deploy_flash"] = ("success", f"Key **{name}** is revoked: calls with it "
                                                   "are refused from now on.")


def _examples(url: str, name: str, task: str, keys_required: bool, key: str) -> None:
    shown = examples(url, name, task, key="YOUR_API_KEY" if keys_required else None)
    curl, python = st.tabs(["curl", "Python (openai)"])
    curl.code(shown["curl"], language="bash")
    python.code(shown["python"], language="python")
    if keys_required:
        st.caption("Replace YOUR_API_KEY with a key from below.")


def _running(svc, entries: dict) -> None:  # noqa: ANN001
    st.subheader("Services running now")
    running = services_running(svc.store)
    if not running:
        st.info("No `roundtable serve` is running for this studio's database. Start one below; "
                "it shows up here while it runs.", icon="🔌")
        return
    tasks = {e.name: e.spec.default_task for e in entries.values()}
    for index, service in enumerate(running):
        with st.container(border=True, key=f"service-{index}"):
            up = service.answering()
            st.markdown(f"{'🟢' if up else '🔴'} **{service.url}** — "
                        f"{'answering' if up else 'not answering (stopped without saying so?)'}"
                        f" · since {when(service.started_at)} · API keys "
                        f"{'required' if service.keys_required else 'optional (loopback)'}")
            st.caption(f"API description: {service.url}/docs · OpenAI base URL: "
                       f"{service.url}/v1")
            for template in service.templates:
                name = str(template.get("name", ""))
                title = str(template.get("title", name))
                with st.expander(f"{title} — model `{name}`", key=f"served-{index}-{name}"):
                    st.markdown(f"- Start a run: `POST {service.url}/api/templates/{name}/runs`\n"
                                f"- As an OpenAI model: base URL `{service.url}/v1`, model "
                                f"`{name}`\n- Model choices: "
                                f"{', '.join(template.get('models') or ['template'])}")
                    _examples(service.url, name, tasks.get(title) or "Your task here",
                              service.keys_required, "YOUR_API_KEY")


def _start_help(entries: dict) -> None:
    st.subheader("Serve a template")
    keys = list(entries)
    chosen = st.multiselect("Templates", keys, default=keys[:1], key="deploy_templates",
                            format_func=lambda k: entries[k].name)
    left, right = st.columns(2)
    port = left.number_input("Port", min_value=1, max_value=65535, value=8000, step=1,
                             key="deploy_port")
    reach = right.selectbox("Who may call it", ["this machine", "the network"],
                            key="deploy_reach",
                            help="The network needs API keys (create them below).")
    names = [k.removeprefix("saved:") for k in chosen] or ["TEMPLATE"]
    host = "127.0.0.1" if reach == "this machine" else "0.0.0.0"
    st.code(serve_command(names, port=int(port), host=host), language="bash")
    st.caption("Run it where the studio runs (same data folder or `--db-url`): runs it serves "
               "are stored like any other and show in History with the source API. Add "
               "`--require-key` to require keys on this machine too, `--cors-origin URL` to "
               "let a web page call it.")


def _keys(svc, actor) -> None:  # noqa: ANN001
    st.subheader("API keys")
    st.caption("Each caller gets its own key, so that you can see who ran what and revoke one "
               "without the others. Keys act for you: the runs they start are yours.")
    created = st.session_state.pop(NEW_KEY, None)
    if created:
        st.success(f"Key **{created[0]}** created. Copy it now: it is never shown again.",
                   icon="🔑")
        st.code(created[1], language="text")
    with st.form("deploy_key_form", border=True, clear_on_submit=False):
        left, right = st.columns([3, 2])
        left.text_input("Who will use it", key="deploy_key_name",
                        placeholder="e.g. demo page, nightly script")
        right.number_input("Requests a minute (0: the service's default)", min_value=0,
                           max_value=100_000, value=0, step=10, key="deploy_key_limit")
        st.form_submit_button("Create key", type="primary", icon="🔑",
                              on_click=_create_key, args=(svc,))
    keys = svc.store.list_api_keys(actor)
    if not keys:
        st.caption("No keys yet.")
        return
    st.dataframe([{"name": k.name, "key": f"{k.prefix}…", "created": when(k.created_at),
                   "last used": when(k.last_used_at),
                   "requests/min": k.rate_limit or "default",
                   "status": "active" if k.active else f"revoked {when(k.revoked_at)}"}
                  for k in keys], hide_index=True, width="stretch")
    active = [k for k in keys if k.active]
    if active:
        with st.popover("Revoke a key", icon="⛔"):
            by_id = {k.id: k for k in active}
            key_id = st.selectbox("Key", list(by_id), key="deploy_revoke_select",
                                  format_func=lambda i: f"{by_id[i].name} ({by_id[i].prefix}…)")
            st.caption("Calls with it are refused at once; its runs stay in History.")
            st.button("Revoke it", key="deploy_revoke", type="primary", on_click=_revoke,
                      args=(svc, key_id, by_id[key_id].name))


with page_guard("Deploy"):
    svc = services()
    actor = current_actor()
    st.title("🚀 Deploy")
    if not actor.is_admin:
        st.warning("Only an administrator can deploy teams and manage API keys.", icon="🔒")
        st.stop()
    st.caption("Turn a template into an HTTP service: a run API with live events, and an "
               "OpenAI-compatible endpoint where the model is the template, so any OpenAI "
               "client (this studio's Models page too) can use the team.")
    flash = st.session_state.pop("deploy_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    try:
        entries = templates(svc.store, svc.registry_for(actor), actor, svc.registry)
    except Exception as exc:  # noqa: BLE001
        show_error(exc, what="The templates could not be listed")
        entries = {}
    _running(svc, entries)
    if entries:
        _start_help(entries)
    _keys(svc, actor)
