"""Settings: unsandboxed code execution, and where the studio keeps its data."""

from __future__ import annotations

import streamlit as st

from studio.app._auth import current_actor
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.demo_note import pace_control
from studio.engine.code import BWRAP_MISSING, local_sandbox_status
from studio.runs import ALLOW_UNSANDBOXED as SETTING
from studio.runs import configuration_notes, masked_url


def _toggled(svc) -> None:  # noqa: ANN001
    svc.store.set_setting(current_actor(), SETTING,
                          bool(st.session_state["allow_unsandboxed_toggle"]))


with page_guard("Settings"):
    svc = services()
    actor = current_actor()
    st.title("⚙️ Settings")
    st.subheader("Running code")
    sandbox, problem = local_sandbox_status()
    if sandbox == "bubblewrap":
        st.success("bubblewrap works here: code that agents write runs in a sandbox that cannot "
                   "touch your files or the network.", icon="🛡️")
    else:
        fix = ("Install it (`sudo apt-get install bubblewrap`)" if problem == BWRAP_MISSING
               else "Use containers (executor 'docker') for code")
        st.warning(f"{problem[0].upper() + problem[1:] if problem else 'No sandbox'}, so code cannot "
                   f"run in a sandbox here. {fix} — or allow unsandboxed code below. Docker "
                   "executors are not affected.", icon="⚠️")
    st.session_state["allow_unsandboxed_toggle"] = bool(svc.store.get_setting(SETTING, False))
    st.toggle("Allow code to run without a sandbox when bubblewrap is missing",
              key="allow_unsandboxed_toggle", on_change=_toggled, args=(svc,),
              disabled=not actor.is_admin)
    if not actor.is_admin:
        st.caption("🔒 Only the workshop's administrator can change the studio's settings.")
    st.caption("Off by default. When on and bubblewrap is missing, code written by agents runs as a "
               "normal process with your permissions: it could read or delete your files. It still "
               "gets a time limit, an output cap and an environment without API keys. Turn it on "
               "only for templates you trust.")
    st.subheader("Demo model")
    pace_control(svc.store, key="settings_demo_pace")
    st.caption("Readable suits a live demo: messages stream in word by word, each over 1.2 to "
               "1.5 seconds, time enough to read a short one. Instant shows each message at once. The command line "
               "always runs instant unless given `--demo-pace readable`.")
    st.subheader("Data")
    if not actor.is_admin:  # where the server keeps its files is not the members' business
        st.markdown(f"- **Your runs kept:** {svc.store.count_runs(actor)}")
        st.stop()
    runs_where = (f"on Celery workers (broker `{masked_url(svc.broker)}`)" if svc.broker
                  else "in this studio process")
    st.markdown(f"- **Data folder:** `{svc.data_dir}`\n- **Database:** `{svc.db_url}`\n"
                f"- **Runs kept:** {svc.store.count_runs(actor)}\n- **Runs execute:** {runs_where}")
    for note in configuration_notes(svc.store, svc.broker):
        st.warning(note[0].upper() + note[1:] + ".", icon="🗄️")
    st.caption("Set ROUNDTABLE_DATA_DIR, ROUNDTABLE_DB_URL or ROUNDTABLE_BROKER_URL before "
               "`roundtable ui` to change them.")
