"""The Builder's working draft in session state, autosaved to the store so nothing is lost.

Keys (all prefixed ``builder_``): ``builder_spec`` the draft (a TemplateSpec),
``builder_gen`` bumped whenever the draft changes from outside the forms (so every form
widget is re-created from the draft), ``builder_selected`` the agent being edited,
``builder_saved_as`` the stored template the draft was opened from or saved to.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import streamlit as st

from studio.spec import Problem, Registry, TemplateSpec, validate
from studio.store import Actor

from . import _builder_draft as draft
from ._auth import current_actor
from ._services import Services

SPEC = "builder_spec"
GEN = "builder_gen"
SELECTED = "builder_selected"
SAVED_AS = "builder_saved_as"
LIVE = "builder_live_keys"  # keys of the form widgets drawn by the run going on
SHOWN = "builder_shown_keys"  # ... and by the latest run that finished (what people see)


@dataclass
class Draft:
    """What a Builder widget needs: the services, the registry to validate against, the draft
    and its problems (computed once per script run)."""

    svc: Services
    registry: Registry
    spec: TemplateSpec
    problems: list[Problem]
    actor: Actor

    @property
    def bundled(self) -> Registry:
        """The bundled components only (for the bundled templates)."""
        return self.svc.registry

    @property
    def gen(self) -> int:
        return int(st.session_state.get(GEN, 0))

    def key(self, *parts: Any) -> str:
        """A widget key tied to the current generation of the draft."""
        return "b{}_{}".format(self.gen, "_".join(str(p) for p in parts))

    @property
    def errors(self) -> list[Problem]:
        return draft.errors(self.problems)


def builder_registry(svc: Services, actor: Actor) -> Registry:
    """Bundled components plus the actor's (and the shared) model configs and custom tools."""
    from studio.runs import actor_registry
    from studio.spec import default_registry

    return actor_registry(svc.store, actor, default_registry())


def load(svc: Services) -> Draft:
    """The draft of this session: restored from this person's autosave on a fresh session."""
    actor = current_actor()
    registry = builder_registry(svc, actor)
    st.session_state[LIVE] = set()
    if SPEC not in st.session_state:
        spec, saved_as = _restore(svc, actor)
        st.session_state[SPEC] = spec
        st.session_state[SAVED_AS] = saved_as
        st.session_state[GEN] = int(st.session_state.get(GEN, 0)) + 1
    spec = st.session_state[SPEC]
    return Draft(svc, registry, spec, validate(spec, registry=registry), actor)


def _restore(svc: Services, actor: Actor) -> tuple[TemplateSpec, str | None]:
    saved = svc.store.get_draft(actor)
    if saved is not None:
        try:
            return TemplateSpec.model_validate(saved[0]), saved[1]
        except ValueError:
            pass  # an autosave from an older format: start afresh
    return draft.new_team(), None


def commit(svc: Services, spec: TemplateSpec, *, reset_forms: bool = False,
           saved_as: str | None | bool = False) -> None:
    """Make ``spec`` the draft and autosave it. ``reset_forms`` re-creates the form widgets
    (needed when the change did not come from them); ``saved_as`` (when given) records
    which stored template the draft now corresponds to."""
    st.session_state[SPEC] = spec
    if saved_as is not False:
        st.session_state[SAVED_AS] = saved_as
    if reset_forms:
        st.session_state[GEN] = int(st.session_state.get(GEN, 0)) + 1
    svc.store.save_draft(current_actor(), spec.to_dict(), st.session_state.get(SAVED_AS))


def replace(svc: Services, spec: TemplateSpec, *, saved_as: str | None | bool = False) -> None:
    """Replace the whole draft (open, new team, text view, restore): forms start afresh."""
    st.session_state[SELECTED] = None
    commit(svc, spec, reset_forms=True, saved_as=saved_as)


def live(key: str) -> str:
    """Register ``key`` as a widget drawn in this run and return it."""
    st.session_state.setdefault(LIVE, set()).add(key)
    return key


def finish_run() -> None:
    """Call at the end of the page: the widgets drawn are now what people see."""
    st.session_state[SHOWN] = set(st.session_state.get(LIVE, ()))


def is_live(key: str) -> bool:
    """Whether the widget ``key`` was drawn by the latest run, for the draft as it is now.

    Callbacks run before the page; a widget the page no longer draws (an earlier value,
    another agent, another generation) can still report a value, which must not apply.
    """
    drawn = key in st.session_state.get(SHOWN, ()) or key in st.session_state.get(LIVE, ())
    return drawn and key in st.session_state and current(key)


def current(key: str) -> bool:
    """Whether a widget key belongs to the draft's current generation (see :meth:`Draft.key`).
    A widget of an earlier generation can still report a value; it must not be applied."""
    return key.startswith(f"b{int(st.session_state.get(GEN, 0))}_")


def digest(value: Any) -> str:
    """A short fingerprint of a value: widget keys carry it, so a widget is re-created with
    the draft's value whenever the draft changes from anywhere (canvas, text, restore)."""
    return format(zlib.crc32(repr(value).encode()), "x")


def selected(spec: TemplateSpec) -> int | None:
    index = st.session_state.get(SELECTED)
    if isinstance(index, int) and 0 <= index < len(spec.agents):
        return index
    return None


def select(index: int | None) -> None:
    st.session_state[SELECTED] = index
