"""What the studio says about a configuration that needs PostgreSQL instead of SQLite."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.store import Store

NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs",
                                 "9p", "afs", "ceph", "glusterfs", "fuse.glusterfs", "lustre"})
POSTGRES_HINT = "--db-url postgresql+psycopg2://USER:PASSWORD@HOST/DB"


def masked_url(url: str | None) -> str:
    """``url`` with its password hidden (for showing a database or broker URL)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url or "").render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not URL-shaped: show it as given
        return url or ""


def filesystem_of(path: str, mounts: str = "/proc/mounts") -> str:
    """The file system type holding ``path`` ('' when unknown)."""
    try:
        with open(mounts, encoding="utf-8") as handle:
            table = [line.split()[1:3] for line in handle if len(line.split()) >= 3]
    except OSError:
        return ""
    target = os.path.realpath(path)
    best, kind = "", ""
    for mount_point, fs_type in table:
        mount_point = mount_point.replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, fs_type
    return kind


def configuration_notes(store: Store, broker: str | None) -> list[str]:
    """Sentences for people running this configuration (empty when all is well)."""
    if store.dialect != "sqlite":
        return _secret_key_notes(store, broker)
    path = str(store.engine.url.database or "")
    notes = []
    kind = filesystem_of(os.path.dirname(path) or ".")
    if kind in NETWORK_FILESYSTEMS:
        notes.append(f"the database {path} is on a network file system ({kind}), where "
                     f"SQLite's locks do not hold: use PostgreSQL ({POSTGRES_HINT}) so that no "
                     "run is lost")
    if broker:
        notes.append(f"runs go to Celery workers but the database is the SQLite file {path}: "
                     "that only works while every worker runs on this machine and uses this "
                     f"data folder; workers on other machines need PostgreSQL ({POSTGRES_HINT})")
    return notes


def _secret_key_notes(store: Store, broker: str | None) -> list[str]:
    """Studios and workers on several machines must share the key of the stored secrets."""
    from studio.store import KEY_ENV

    if not broker or os.environ.get(KEY_ENV, "").strip():
        return []
    return [f"stored API keys are encrypted with the key file {store.secret_key_location}: "
            "studios and workers on other machines need the same key (set "
            f"{KEY_ENV} to the same value for every studio and worker), or their runs "
            "cannot use stored keys"]
