"""What sign-in and the per-request ownership checks add to a page rerun, as a ratio.

    python bench/auth.py [--runs N] [--stored 1000]

Two data dirs hold the same number of stored runs (default 1,000, with their events): one
in personal mode (the local user, no sign-in), one in shared mode owned by a signed-in
member among other people's runs. The History page (it lists runs) is re-run with
Streamlit's AppTest, alternating the two, and the medians are compared in the same run. In
shared mode every rerun checks the session token against the database and every query is
filtered by owner. Target: under 5% (a figure, not a pass/fail test).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamlit.testing.v1 import AppTest  # noqa: E402

from studio.store import Actor, Store, actor_of  # noqa: E402

MAIN = Path(__file__).resolve().parents[1] / "studio" / "app" / "main.py"
PASSWORD = "bench password 1"


def fill(store: Store, owner: Actor, count: int, others: list[Actor]) -> None:
    """``count`` finished runs of ``owner`` (and as many of each other person), 6 events
    each, written in one transaction (the set-up is not what is measured)."""
    import uuid

    from studio.store._tables import RunEventRow, RunRow

    with store._write() as session:
        for index in range(count):
            for actor in (owner, *others):
                run_id = uuid.uuid4().hex
                session.add(RunRow(id=run_id, template_name=f"Template {index % 7}",
                                   template_snapshot={"agents": []},
                                   task=f"Task number {index}", status="finished",
                                   started_at=1_700_000_000.0 + index, owner_id=actor.id,
                                   total_tokens=100, cost=0.001, owner=""))
                session.flush()
                session.add_all(RunEventRow(run_id=run_id, seq=seq, kind="message",
                                            data={"n": seq}, sender="a",
                                            content=f"message {seq}") for seq in range(1, 7))


def page(data_dir: Path, shared: bool, token: str | None) -> AppTest:
    os.environ["ROUNDTABLE_DATA_DIR"] = str(data_dir)
    if shared:
        os.environ["ROUNDTABLE_MODE"] = "shared"
    else:
        os.environ.pop("ROUNDTABLE_MODE", None)
    at = AppTest.from_file(str(MAIN), default_timeout=60)
    if token:
        at.session_state["auth_token"] = token
    at.run()
    at.switch_page("views/history.py").run()
    assert not at.exception, at.exception
    return at


def rerun_ms(at: AppTest, data_dir: Path, shared: bool) -> float:
    os.environ["ROUNDTABLE_DATA_DIR"] = str(data_dir)
    if shared:
        os.environ["ROUNDTABLE_MODE"] = "shared"
    else:
        os.environ.pop("ROUNDTABLE_MODE", None)
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    assert not at.exception, at.exception
    assert any("Task number" in str(row) for row in [at.dataframe[0].value.to_dict()]), \
        "the History page lists the runs"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="reruns of each page (default 30)")
    parser.add_argument("--stored", type=int, default=1000, help="stored runs (default 1000)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rt-bench-auth-"))
    personal_dir, shared_dir = root / "personal", root / "shared"

    local = Actor.local()
    store = Store.open(data_dir=personal_dir)
    fill(store, local, args.stored, [])
    store.close()
    store = Store.open(data_dir=shared_dir)
    teacher = actor_of(store.create_account(local, "teacher", PASSWORD, role="admin"))
    member = store.create_account(teacher, "ann", PASSWORD)
    other = actor_of(store.create_account(teacher, "bob", PASSWORD))
    fill(store, actor_of(member), args.stored, [other])
    started = time.perf_counter()
    token = store.start_session(store.sign_in("ann", PASSWORD))
    sign_in_ms = (time.perf_counter() - started) * 1000
    store.close()

    personal = page(personal_dir, False, None)
    shared = page(shared_dir, True, token)
    times: dict[str, list[float]] = {"personal": [], "shared": []}
    for _ in range(2):  # warm both (first reruns fill caches)
        rerun_ms(personal, personal_dir, False)
        rerun_ms(shared, shared_dir, True)
    for index in range(args.runs):  # alternate which goes first
        order = [("personal", personal, personal_dir, False), ("shared", shared, shared_dir, True)]
        for name, at, directory, is_shared in (order if index % 2 == 0 else order[::-1]):
            times[name].append(rerun_ms(at, directory, is_shared))
    p, s = statistics.median(times["personal"]), statistics.median(times["shared"])
    p_min, s_min = min(times["personal"]), min(times["shared"])
    print(f"History page rerun with {args.stored:,} stored runs each ({args.runs} reruns):")
    print(f"  personal mode (no sign-in, no owner filter): median {p:7.1f} ms, best {p_min:7.1f} ms")
    print(f"  shared mode (session check + owner filter; {args.stored:,} runs of another person "
          f"too): median {s:7.1f} ms, best {s_min:7.1f} ms")
    print(f"  ratio shared / personal: median {s / p:.3f} ({(s / p - 1) * 100:+.1f}%), best "
          f"{s_min / p_min:.3f} ({(s_min / p_min - 1) * 100:+.1f}%); target < +5%")
    print("  (on a busy machine the medians are noisy; the best times show the added work)")
    print(f"  one sign-in (Argon2id verify + session row), paid once per session: "
          f"{sign_in_ms:.0f} ms")


if __name__ == "__main__":
    main()
