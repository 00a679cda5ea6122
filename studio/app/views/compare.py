"""Compare: two runs side by side (the same team on two models, before and after a prompt
change, a run and its fork), with their tokens, cost and length."""

from __future__ import annotations

import streamlit as st

from studio.app._auth import current_actor
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.compare import compare_runs, lineages, run_picker

with page_guard("Compare"):
    svc = services()
    st.title("⚖️ Compare runs")
    runs = svc.store.list_runs(current_actor(), limit=200)
    if len(runs) < 2:
        st.info("Compare needs two runs. Run a template twice (on two models, or before and "
                "after changing a prompt), then come back.", icon="⚖️")
        st.stop()
    lineage = lineages(svc, runs)  # which runs continue or fork another
    left, right = st.columns(2)
    with left:
        first = run_picker(runs, "a", "First run", default=0, lineage=lineage)
    with right:
        second = run_picker(runs, "b", "Second run", default=1, lineage=lineage)
    compare_runs(svc, first, second, lineage)
