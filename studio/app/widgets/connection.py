"""Tell people when the studio server is gone while a run is on screen.

A live run's page is drawn by the server; once the server is killed, nothing on the page
changes by itself and it would keep saying "Running ... is speaking". This small script
(in the page, not an iframe) asks the server's health endpoint every two seconds; after two
failed checks it hides the live parts (elements whose key starts with ``run_live_``: the
status line, "... is speaking", the reply panel, the controls; and the step-in box) and
shows a banner saying the run is interrupted. When the server answers
again (restarted: the run is then recorded as interrupted), the banner goes away and the
page reloads itself from the server.
"""

from __future__ import annotations

import streamlit as st

BANNER_ID = "rt-connection-lost"
LIVE_KEY_PREFIX = "run_live_"
MESSAGE = ("⚠️ The connection to the studio server is lost: this run is interrupted (the "
           "server stopped, so the team is no longer talking). Start the studio again with "
           "roundtable ui — everything said so far is kept, and the run is listed in History "
           "as Interrupted.")

_SCRIPT = """
<script>
(() => {
  if (window.__rtWatchdog) return;
  const banner = "%(banner)s", message = %(message)s;
  const style = document.createElement("style");
  style.textContent = `body.rt-offline [class*="st-key-%(prefix)s"],
    body.rt-offline [data-testid="stChatInput"] {display: none !important;}
    #${banner} {position: fixed; top: 0; left: 0; right: 0; z-index: 1000000; padding: 0.9rem
    1.2rem; background: #fff4e5; color: #5f2b00; border-bottom: 2px solid #e8710a;
    font: 600 1rem/1.4 sans-serif; text-align: center;}`;
  document.head.appendChild(style);
  let failures = 0, offline = false;
  const live = () => document.querySelector('[class*="st-key-%(prefix)s"]') !== null;
  async function check() {
    let ok = false;
    try {
      const reply = await fetch(new URL("/_stcore/health", window.location.origin),
                                {cache: "no-store", signal: AbortSignal.timeout(4000)});
      ok = reply.ok;
    } catch (e) { ok = false; }
    if (ok) {
      failures = 0;
      if (offline) {
        offline = false;
        document.body.classList.remove("rt-offline");
        document.getElementById(banner)?.remove();
        window.location.reload();  // the restarted server draws the run as it is now
      }
      return;
    }
    failures += 1;
    if (failures >= 2 && !offline && live()) {
      offline = true;
      document.body.classList.add("rt-offline");
      const div = document.createElement("div");
      div.id = banner;
      div.setAttribute("role", "alert");
      div.textContent = message;
      document.body.appendChild(div);
    }
  }
  window.__rtWatchdog = setInterval(check, 2000);
})();
</script>
"""


def connection_watchdog() -> None:
    """Install the watchdog once per page (re-rendering it is harmless)."""
    import json

    st.html(_SCRIPT % {"banner": BANNER_ID, "message": json.dumps(MESSAGE),
                       "prefix": LIVE_KEY_PREFIX}, unsafe_allow_javascript=True)
