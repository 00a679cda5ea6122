"""A separate process for the crash tests (run as ``python _writer.py MODE URL [RUN_ID]``).

``events``: create a run, then append events forever, printing each seq once committed.
``hold``: create a run, print its id, then wait until stdin closes.
``lease``: like ``hold``, but the run is held under this process's lease (10 minutes long,
never renewed), as a studio holds its runs.
"""

from __future__ import annotations

import sys

from studio.store import Actor, Store

LOCAL = Actor.local()


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    store = Store.open(url)
    holder = store.open_lease("studio", 600) if mode == "lease" else None
    run_id = store.create_run(LOCAL, "crash", {"agents": []}, "write forever", "demo",
                              holder=holder)
    print(run_id, flush=True)
    if mode in ("hold", "lease"):
        sys.stdin.read()
        return
    seq = 0
    while True:
        seq += 1
        store.append_event(
            run_id, seq, "message", {"n": seq}, sender="a", recipient="b", content=f"m{seq}"
        )
        print(seq, flush=True)


if __name__ == "__main__":
    main()
