"""Process leases: who is executing which run, decided by heartbeats, not host names.

Every process that runs conversations (a studio, a CLI run, a Celery worker) opens a lease
and renews it while it lives. A run names its holder's lease; once that lease has expired
the run is an orphan: a local run is then marked ``interrupted``, a run on a worker is
released so another worker takes it over. Writes for a run can be *fenced* by a lease: the
store refuses them (:class:`LeaseLost`) once another process holds the run.

A lease also names its process exactly (machine, pid, start time): when that process is
provably dead -- it ran on this machine and its pid is free or taken by a newer process --
the lease is expired at once (:meth:`LeasesMixin.expire_dead_leases`), so a studio that was
killed and started again finds its runs interrupted without waiting for the expiry. Leases
of processes on other machines are only ever judged by their expiry.
"""

from __future__ import annotations

import os
import socket
import uuid

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from ._base import StoreBase
from ._errors import LeaseLost, NotFound
from ._process import machine_id, process_identity, provably_dead
from ._records import LIVE_STATUSES
from ._tables import LeaseRow, RunRow, now


def _live_lease_ids(at: float) -> SelectOfScalar[str]:
    return select(LeaseRow.id).where(col(LeaseRow.expires_at) > at)


class LeasesMixin(StoreBase):
    def open_lease(self, kind: str, ttl: float, lease_id: str | None = None) -> str:
        """Start a lease for this process (``kind``: studio, cli or worker); returns its id
        (``lease_id`` opens that one again after it was lost)."""
        lease_id = lease_id or f"{kind}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        machine, pid, started = process_identity()
        stamp = now()
        with self._write() as session:
            session.add(LeaseRow(id=lease_id, kind=kind, host=socket.gethostname(), pid=pid,
                                 machine=machine, proc_start=started, started_at=stamp,
                                 expires_at=stamp + ttl))
        return lease_id

    def renew_lease(self, lease_id: str, ttl: float) -> bool:
        """Extend the lease by ``ttl`` seconds from now; False if it no longer exists."""
        with self._write() as session:
            row = session.get(LeaseRow, lease_id)
            if row is None:
                return False
            row.expires_at = now() + ttl
            session.add(row)
            return True

    def close_lease(self, lease_id: str) -> None:
        """End the lease (a clean shutdown): runs still naming it become orphans at once."""
        with self._write() as session:
            row = session.get(LeaseRow, lease_id)
            if row is not None:
                session.delete(row)

    def expire_dead_leases(self) -> list[str]:
        """Expire now the unexpired leases whose process is provably dead (it ran on this
        machine, and its pid is free or belongs to a process started since); returns their
        ids. A lease of another machine, or from before leases named their process, is left
        to its expiry."""
        machine = machine_id()
        if not machine:
            return []
        stamp = now()
        with self._read() as session:
            rows = session.exec(select(LeaseRow.id, LeaseRow.pid, LeaseRow.proc_start).where(
                LeaseRow.machine == machine, col(LeaseRow.expires_at) > stamp)).all()
        dead = [lease_id for lease_id, pid, started in rows if provably_dead(machine, pid, started)]
        if dead:
            with self._write() as session:
                for row in session.exec(select(LeaseRow).where(col(LeaseRow.id).in_(dead))):
                    row.expires_at = min(row.expires_at, stamp)
                    session.add(row)
        return dead

    def lease_alive(self, lease_id: str | None) -> bool:
        if not lease_id:
            return False
        with self._read() as session:
            row = session.get(LeaseRow, lease_id)
            return row is not None and row.expires_at > now()

    def live_leases(self, kind: str | None = None) -> list[str]:
        """The ids of the leases alive now (of one ``kind`` when given)."""
        with self._read() as session:
            query = select(LeaseRow.id).where(col(LeaseRow.expires_at) > now())
            if kind is not None:
                query = query.where(LeaseRow.kind == kind)
            return list(session.exec(query))

    def claim_run(self, run_id: str, lease_id: str) -> bool:
        """Take a queued or orphaned run for ``lease_id`` (status becomes ``running``).

        False when the run has ended or another live process holds it. Atomic: of several
        processes claiming the same run, one wins.
        """
        with self._write() as session:
            row = session.exec(select(RunRow).where(RunRow.id == run_id).with_for_update()).first()
            if row is None:
                raise NotFound("run", run_id)
            if row.status not in LIVE_STATUSES:
                return False
            if row.holder not in (None, lease_id):
                holder = session.get(LeaseRow, row.holder)
                if holder is not None and holder.expires_at > now():
                    return False
            row.holder = lease_id
            row.status = "running"
            session.add(row)
            return True

    def release_orphaned_runs(self, mode: str = "celery") -> list[str]:
        """Release the live runs of ``mode`` whose holder's lease has expired (holder set to
        NULL, so a worker can claim them); returns their ids."""
        self.expire_dead_leases()
        with self._write() as session:
            rows = list(session.exec(
                select(RunRow).where(col(RunRow.status).in_(LIVE_STATUSES), RunRow.mode == mode,
                                     col(RunRow.holder).is_not(None),
                                     col(RunRow.holder).not_in(_live_lease_ids(now())))
                .with_for_update()))
            for row in rows:
                row.holder = None
                session.add(row)
            return [row.id for row in rows]

    def queued_runs(self, mode: str = "celery") -> list[str]:
        """Live runs of ``mode`` that no process holds (waiting in the broker's queue)."""
        with self._read() as session:
            return list(session.exec(
                select(RunRow.id).where(col(RunRow.status).in_(LIVE_STATUSES), RunRow.mode == mode,
                                        col(RunRow.holder).is_(None))))

    def _check_holder(self, row: RunRow, holder: str | None) -> None:
        if holder is not None and row.holder != holder:
            raise LeaseLost(row.id)

    def _orphan_filter(self, at: float) -> ColumnElement[bool]:
        return or_(col(RunRow.holder).is_(None), col(RunRow.holder).not_in(_live_lease_ids(at)))
