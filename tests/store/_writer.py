"""A separate process for the crash tests (run as ``python _writer.py MODE URL [RUN_ID]``).

``events``: create a run, then append events forever, printing each seq once committed.
``hold``: create a run, print its id, then wait until stdin closes.
"""

from __future__ import annotations

import sys

from studio.store import Actor, Store

LOCAL = Actor.local()


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    store = Store.open(url)
    run_id = store.create_run(LOCAL, "crash", {"agents": []}, "write forever", "demo")
    print(run_id, flush=True)
    if mode == "hold":
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
