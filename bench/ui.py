"""How quickly the studio shows things in a real browser, as ratios to a plain Streamlit page
showing the same content, measured in the same run.

    python bench/ui.py [--messages 500] [--live 12] [--repeat 3] [--no-cli]

Three figures, each for the studio and for a baseline page (a few lines of Streamlit, no
studio code) started beside it, both driven by Debian's Chromium through Playwright:

- **live**: time from an engine event (a message of a running Demo run, at the readable
  pace) to its text being visible, p50 and p95. The baseline page polls a list of
  messages appended on the same schedule, at the run view's polling interval.
- **transcript**: time from the page's title showing to the newest message of a stored run
  of ``--messages`` messages showing. The baseline draws every message as a chat bubble.
- **first page**: time from opening the URL to the Gallery's title being visible; the
  baseline draws the same cards (title, picture, description, a button).

Then, unless ``--no-cli``, the CLI start-up against ``python -c pass`` (bench/cli_startup.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
MARK = "ZQ"  # messages carry ZQ<number>ZQ so the browser can tell when each one shows

# Records, in the page, when each marker first appears (Date.now(): the same clock as the
# engine's event times on this machine).
_WATCH = """
window.__seen = {};
const scan = (node) => {
  const text = node.textContent || "";
  for (const m of text.matchAll(/ZQ(\\d+)ZQ/g)) {
    if (!(m[1] in window.__seen)) window.__seen[m[1]] = Date.now();
  }
};
new MutationObserver((records) => {
  for (const r of records) {
    r.addedNodes.forEach(scan);
    if (r.type === "characterData" && r.target.parentNode) scan(r.target.parentNode);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

_BASELINE = '''
import json, threading, time, sys
from pathlib import Path
import streamlit as st

CONFIG = json.loads(Path(sys.argv[1]).read_text())
st.set_page_config(layout="wide")

@st.cache_resource
def feed():
    """The same messages on the same schedule as the studio's live run."""
    said = []
    def go():
        for delay, text in CONFIG["live"]:
            time.sleep(delay)
            said.append((time.time(), text))
        Path(CONFIG["times"]).write_text(json.dumps([t for t, _ in said]))
    threading.Thread(target=go, daemon=True).start()
    return said

page = st.query_params.get("page", "gallery")
if page == "gallery":
    st.title("Gallery")
    columns = st.columns(3)
    for i, card in enumerate(CONFIG["cards"]):
        with columns[i % 3].container(border=True):
            st.markdown(f"#### {card['name']}")
            st.markdown(card["svg"], unsafe_allow_html=True)
            st.markdown(card["description"])
            st.button("Run", key=f"run{i}")
elif page == "transcript":
    st.title("Transcript")
    for sender, text in CONFIG["transcript"]:
        with st.chat_message(sender):
            st.markdown(f"**{sender}**")
            st.markdown(text)
else:
    said = feed()
    @st.fragment(run_every=0.3)
    def live():
        for _, text in list(said):
            with st.chat_message("agent"):
                st.markdown(text)
    live()
'''


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {url} exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


@contextmanager
def server(command: list[str], env: dict[str, str], log: Path) -> Any:
    """Start ``command`` (``{port}`` in it becomes a free port); yield its URL."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen([part.replace("{port}", str(port)) for part in command],
                                   stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# -- the content both pages show ---------------------------------------------------------------
def live_template(count: int) -> dict[str, Any]:
    """A two-agent Demo team whose script says ``count`` marked messages."""
    # the marker ends the message: it shows with the last word, whose event is the message's
    turns = [{"agent": ("ana", "ben")[i % 2],
              "content": " ".join(["a point worth making"] * 6) + f" {MARK}{i:03d}{MARK}"
              + (" TERMINATE" if i == count - 1 else "")} for i in range(count)]
    return {"format": 1, "name": "bench_live", "models": {"main": "demo"},
            "agents": [{"name": "ana", "kind": "assistant", "model": "main"},
                       {"name": "ben", "kind": "assistant", "model": "main",
                        "max_consecutive_auto_reply": count}],
            "pattern": {"kind": "two_agent", "starter": "ana", "max_turns": count,
                        "edges": [{"source": "ana", "target": "ben"}]},
            "sample_tasks": ["Talk."], "demo_scripts": [{"task": "Talk.", "turns": turns}],
            "layout": {"ana": {"x": 0, "y": 0}, "ben": {"x": 300, "y": 0}}}


def store_long_run(data_dir: Path, count: int) -> tuple[str, list[tuple[str, str]]]:
    """A finished run of ``count`` messages written straight into the studio's store."""
    from studio.spec import load_bundled_template
    from studio.store import Actor, Store

    spec = load_bundled_template("planning_group")
    store = Store.open(data_dir=data_dir)
    run_id = store.create_run(Actor.local(), spec.name, spec.to_dict(), spec.default_task, "Demo model (offline)",
                              holder="bench")
    said = []
    seq = 0
    speakers = ["planner", "coder", "critic", "user"]
    for i in range(count):
        sender = speakers[i % 4]
        text = (f"{MARK}{i:03d}{MARK} Message {i + 1}: " + "some words of the conversation "
                * 5).strip()
        said.append((sender, text))
        seq += 1
        data = {"type": "message", "sender": sender, "recipient": "chat_manager",
                "message": {"role": "assistant", "content": text, "name": sender},
                "chat_id": "c1", "depth": 0, "time": time.time(), "seq": seq}
        store.append_event(run_id, seq, "message", data, chat_id="c1", sender=sender,
                           recipient="chat_manager", role="assistant", content=text)
    store.finish_run(run_id, "finished", "termination message", said[-1][1], {},
                     holder="bench")
    store.close()
    return run_id, said


def gallery_cards() -> list[dict[str, str]]:
    from studio.app.widgets.diagram import team_svg
    from studio.spec import bundled_templates

    return [{"name": s.name, "svg": team_svg(s), "description": " ".join(s.description.split())}
            for s in bundled_templates().values()]


# -- measuring in Chromium ---------------------------------------------------------------------
def until_seen(page: Any, number: int, timeout: float = 120) -> float:
    page.wait_for_function(f"() => '{number:03d}' in window.__seen || '{number}' in "
                           "window.__seen", timeout=timeout * 1000)
    return time.time()


def time_to(page: Any, url: str, ready: Any) -> float:
    started = time.perf_counter()
    page.goto(url)
    ready(page)
    return time.perf_counter() - started


def transcript_time(page: Any, url: str, title: str, last: int) -> float:
    """From the page's title being visible to its newest message being visible."""
    page.goto(url)
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    titled = time.time()
    return until_seen(page, last) - titled


def live_latency_studio(browser: Any, url: str, data_dir: Path, count: int) -> list[float]:
    from studio.store import Actor, Store

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.add_init_script(_WATCH)
    page.goto(url)
    page.get_by_role("heading", name="Gallery").first.wait_for(timeout=60_000)
    page.locator(".st-key-gallery_run_saved-bench_live button").click()
    page.wait_for_url("**run=*", timeout=60_000)
    run_id = page.url.split("run=")[1].split("&")[0]
    last = count - 1
    page.wait_for_function(f"() => Object.keys(window.__seen).length >= {count} || "
                           f"'{last:03d}' in window.__seen", timeout=180_000)
    seen = page.evaluate("window.__seen")
    page.close()
    store = Store.open(data_dir=data_dir)
    events = [e for e in store.run_events(Actor.local(), run_id) if e.kind == "message"]
    store.close()
    lags = []
    for event in events:
        content = (event.data.get("message") or {}).get("content") or ""
        if MARK in content:
            number = content.split(MARK)[1]
            if number in seen:
                lags.append(seen[number] / 1000 - float(event.data.get("time") or 0))
    return lags


def live_latency_baseline(browser: Any, url: str, times_file: Path, count: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.add_init_script(_WATCH)
    page.goto(f"{url}/?page=live")
    page.wait_for_function(f"() => Object.keys(window.__seen).length >= {count}",
                           timeout=180_000)
    seen = page.evaluate("window.__seen")
    page.close()
    deadline = time.monotonic() + 10
    while not times_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    times = json.loads(times_file.read_text())
    return [seen[f"{i:03d}"] / 1000 - t for i, t in enumerate(times) if f"{i:03d}" in seen]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500, help="stored transcript length")
    parser.add_argument("--live", type=int, default=12, help="messages of the live run")
    parser.add_argument("--repeat", type=int, default=3, help="page loads per figure")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI start-up figure")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from studio.store import Actor, Store

    with tempfile.TemporaryDirectory(prefix="rt-bench-ui-") as scratch:
        root = Path(scratch)
        data_dir = root / "data"
        store = Store.open(data_dir=data_dir)
        store.save_template(Actor.local(), "bench_live", live_template(args.live))
        store.close()
        run_id, said = store_long_run(data_dir, args.messages)
        live = live_template(args.live)["demo_scripts"][0]["turns"]
        readable = 1.5  # the Demo's readable pace: a message within 1.5 s
        config = {"cards": gallery_cards(), "transcript": said,
                  "live": [(readable if i else 0.5, t["content"]) for i, t in enumerate(live)],
                  "times": str(root / "baseline-times.json")}
        (root / "config.json").write_text(json.dumps(config))
        (root / "baseline.py").write_text(textwrap.dedent(_BASELINE))
        env = dict(os.environ, ROUNDTABLE_DEMO_PACE="readable")
        env.pop("ROUNDTABLE_DB_URL", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        flags = ["--server.headless", "true", "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        studio_cmd = [sys.executable, "-m", "studio", "ui", "--data-dir", str(data_dir),
                      "--port", "{port}"]
        base_cmd = [sys.executable, "-m", "streamlit", "run", str(root / "baseline.py"), *flags,
                    "--server.port", "{port}", "--", str(root / "config.json")]
        with server(studio_cmd, env, root / "studio.log") as studio_url, \
                server(base_cmd, env, root / "baseline.log") as base_url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            figures: dict[str, tuple[list[float], list[float]]] = {}
            gallery = ([], [])
            transcript = ([], [])
            last = args.messages - 1
            for _ in range(args.repeat):  # interleaved: both share the machine's load
                for side, url, title in ((0, studio_url, "Gallery"), (1, base_url, "Gallery")):
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    gallery[side].append(time_to(page, url, lambda pg, t=title: pg.get_by_role(
                        "heading", name=t).first.wait_for(timeout=60_000)))
                    page.close()
                for side, url, title in ((0, f"{studio_url}/playground?run={run_id}",
                                          "Playground"),
                                         (1, f"{base_url}/?page=transcript", "Transcript")):
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    page.add_init_script(_WATCH)
                    transcript[side].append(transcript_time(page, url, title, last))
                    page.close()
            figures["first page (s)"] = gallery
            figures[f"{args.messages}-message transcript (s)"] = transcript
            studio_lags = live_latency_studio(browser, studio_url, data_dir, args.live)
            base_lags = live_latency_baseline(browser, base_url, Path(config["times"]),
                                              args.live)
            browser.close()

    load = os.getloadavg()[0]
    print(f"UI in Chromium, studio vs a plain Streamlit page with the same content "
          f"(load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"{'figure':<34} {'studio':>9} {'plain':>9} {'ratio':>7}")
    for name, (mine, plain) in figures.items():
        a, b = statistics.median(mine), statistics.median(plain)
        print(f"{name + ' median':<34} {a:9.3f} {b:9.3f} {a / b:7.2f}")
    for share, label in ((0.5, "p50"), (0.95, "p95")):
        a, b = percentile(studio_lags, share), percentile(base_lags, share)
        print(f"{'event -> visible (s) ' + label:<34} {a:9.3f} {b:9.3f} {a / max(b, 1e-3):7.2f}")
    print(f"(live: {len(studio_lags)} studio and {len(base_lags)} plain messages, the studio's "
          "streamed word by word at the readable pace, the plain page's appended whole)")
    print("target: the transcript in under 1 s; a ratio near 1 means the studio adds little")
    if not args.no_cli:
        print()
        return subprocess.call([sys.executable, str(ROOT / "bench" / "cli_startup.py"),
                                "--runs", "5"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
