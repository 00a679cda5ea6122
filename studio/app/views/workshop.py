"""Workshop (shared mode, administrators only): every run going on, with Stop; the people,
their access and budgets; the join code; which server keys members may use.

The store and the run manager refuse all of this to members; the page is not even listed
for them. Stable hooks: ``workshop_runs`` (the live table), ``workshop_stop_<run id>``,
``workshop_join_code`` / ``workshop_new_code``, ``workshop_access_<user>``,
``workshop_locked_<user>`` / ``workshop_unlock_<user>`` (too many wrong passwords),
``workshop_budget_form`` (``budget_tokens``, ``budget_cost``, ``budget_runs``),
``workshop_add_form`` (``add_name``, ``add_password``, ``add_admin``).
"""

from __future__ import annotations

import streamlit as st

from studio.app._auth import current_actor
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.workshop_people import people
from studio.store import DEFAULT_BUDGET, LIVE_STATUSES, Budget, StoreError

LIVE_SECONDS = 1.0


def _flash(kind: str, text: str) -> None:
    st.session_state["workshop_flash"] = (kind, text)


def live_runs(svc, actor) -> None:  # noqa: ANN001
    st.subheader("Runs going on now")

    @st.fragment(run_every=LIVE_SECONDS)
    def table() -> None:
        people = {a.id: a.label for a in svc.store.list_accounts(actor)}
        handles = {h.run_id: h for h in svc.manager.active(actor)}
        running = sorted((info for status in LIVE_STATUSES  # queued: waiting for a worker
                          for info in svc.store.list_runs(actor, status=status, limit=500)),
                         key=lambda info: -info.started_at)
        with st.container(key="workshop_runs"):
            if not running:
                st.caption("No run is going on.")
            for info in running:
                handle = handles.get(info.id)
                usage = handle.usage.get("total", {}) if handle else {}
                who = people.get(info.owner_id, "the administrator") if info.owner_id else "you"
                cols = st.columns([2, 3, 2, 2, 2, 1], vertical_alignment="center")
                cols[0].markdown(f"**{who}**")
                cols[1].markdown(f"{info.template_name} · _{' '.join(info.task.split())[:50]}_")
                cols[2].markdown(handle.status if handle else info.status)
                cols[3].markdown(f"{usage.get('total_tokens', info.total_tokens):,} tokens")
                cols[4].markdown(f"${float(usage.get('cost', info.cost) or 0):.4f}")
                if handle is not None:
                    if cols[5].button("Stop", key=f"workshop_stop_{info.id}", icon="⏹️"):
                        svc.manager.stop(actor, info.id)
                        st.rerun()

    table()


def join_code(svc, actor) -> None:  # noqa: ANN001
    st.subheader("Join code")
    from studio.store import JOIN_CODE

    code = svc.store.get_setting(JOIN_CODE)
    if code:
        st.markdown(f"<div style='font-size:2.5rem;font-weight:700;letter-spacing:.3rem'>"
                    f"{code}</div>", unsafe_allow_html=True)
        st.caption("Show this on screen: people open the studio, choose **Join the workshop**, "
                   "type the code and pick a name and password.")
    else:
        st.caption("Joining is closed: make a code to let people create their own accounts.")
    left, right = st.columns(2)
    if left.button("New join code" if code else "Make a join code", key="workshop_new_code"):
        svc.store.new_join_code(actor)
        st.rerun()
    if code and right.button("Close joining", key="workshop_close_join"):
        svc.store.set_setting(actor, JOIN_CODE, None)
        st.rerun()


def budgets(svc, actor) -> None:  # noqa: ANN001
    st.subheader("Budget per member")
    current = Budget.from_dict(svc.store.get_setting(DEFAULT_BUDGET, {}))
    with st.form("workshop_budget_form"):
        cols = st.columns(3)
        tokens = cols[0].number_input("Tokens per day (0 = no limit)", min_value=0, step=1000,
                                      value=current.tokens_per_day or 0, key="budget_tokens")
        cost = cols[1].number_input("Cost per day in $ (0 = no limit)", min_value=0.0, step=0.5,
                                    value=float(current.cost_per_day or 0.0), key="budget_cost")
        runs = cols[2].number_input("Runs at once (0 = no limit)", min_value=0, step=1,
                                    value=current.concurrent_runs or 0, key="budget_runs")
        if st.form_submit_button("Save budget", type="primary"):
            svc.store.set_budget(actor, None, Budget(int(tokens) or None, float(cost) or None,
                                                     int(runs) or None))
            _flash("success", "Budget saved: it applies to every member's next run.")
            st.rerun()


def add_person(svc, actor) -> None:  # noqa: ANN001
    st.subheader("Add a person")
    with st.form("workshop_add_form", clear_on_submit=True):
        name = st.text_input("User name", key="add_name")
        password = st.text_input("Password (8 characters or more)", type="password",
                                 key="add_password")
        admin = st.checkbox("Administrator (sees and manages everything)", key="add_admin")
        if st.form_submit_button("Add"):
            try:
                svc.store.create_account(actor, name, password,
                                         role="admin" if admin else "member")
                _flash("success", f"Added {name}.")
            except StoreError as exc:
                _flash("error", f"Not added: {exc}")
            st.rerun()


def server_keys(svc, actor) -> None:  # noqa: ANN001
    from studio.store import ALLOWED_KEY_ENV, key_host

    st.subheader("Server keys members may use")
    allowed = svc.store.allowed_key_env()
    st.caption("By default members cannot use the server's environment variables as API keys. "
               "Allow one here, tied to the one server it may be sent to. Better: add a model "
               "on the Models page and share it — members then never see its key.")
    for env, host in allowed.items():
        left, right = st.columns([4, 1])
        left.markdown(f"`{env}` → sent only to `{host}`")
        if right.button("Remove", key=f"workshop_env_remove_{env}"):
            svc.store.set_setting(actor, ALLOWED_KEY_ENV,
                                  {k: v for k, v in allowed.items() if k != env} or None)
            st.rerun()
    with st.form("workshop_env_form", clear_on_submit=True):
        env = st.text_input("Environment variable", key="env_name")
        url = st.text_input("Base URL it may be sent to", key="env_url",
                            value="https://api.openai.com/v1")
        if st.form_submit_button("Allow"):
            try:
                svc.store.set_setting(actor, ALLOWED_KEY_ENV,
                                      {**allowed, env.strip(): key_host(url)})
            except StoreError as exc:
                _flash("error", str(exc))
            st.rerun()


with page_guard("Workshop"):
    svc = services()
    actor = current_actor()
    st.title("🧑‍🏫 Workshop")
    if not actor.is_admin:
        st.error("Only the workshop's administrator can open this page.", icon="🔒")
        st.stop()
    flash = st.session_state.pop("workshop_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    live_runs(svc, actor)
    left, right = st.columns(2, gap="large")
    with left:
        join_code(svc, actor)
        budgets(svc, actor)
    with right:
        people(svc, actor, _flash)
        add_person(svc, actor)
    server_keys(svc, actor)
