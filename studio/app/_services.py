"""One Store, one Registry and one RunManager per process, shared by every page."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from studio.spec import Registry
from studio.store import Actor, Store, default_data_dir

if TYPE_CHECKING:
    from studio.runs import RunManager


@dataclass(frozen=True)
class Services:
    store: Store
    registry: Registry  # the bundled components (everyone's); see registry_for
    manager: RunManager
    data_dir: Path
    db_url: str
    broker: str | None = None  # runs go to Celery workers through this Redis URL

    def registry_for(self, actor: Actor) -> Registry:
        """The bundled components plus the actor's own and the shared models and tools."""
        return self.manager.registry_for(actor)


def data_dir_from_env() -> Path:
    value = os.environ.get("ROUNDTABLE_DATA_DIR")
    return Path(value).expanduser() if value else default_data_dir()


def services() -> Services:
    """The process-wide services for the data dir and database named by the environment."""
    return _build(str(data_dir_from_env()), os.environ.get("ROUNDTABLE_DB_URL") or None,
                  os.environ.get("ROUNDTABLE_BROKER_URL") or None)


@st.cache_resource(show_spinner="Opening the studio's database…")
def _build(data_dir: str, db_url: str | None, broker: str | None = None) -> Services:
    from studio.runs import RunManager

    directory = Path(data_dir)
    store = Store.open(db_url, directory)
    registry = Registry.bundled()  # each person's models and tools are added per call
    manager = RunManager(store, registry, data_dir=directory,  # each run gets the Demo pace
                         broker=broker)
    return Services(store=store, registry=registry, manager=manager, data_dir=directory,
                    db_url=store.engine.url.render_as_string(hide_password=True), broker=broker)
