"""The Builder's browser side: drag an agent from the palette onto the canvas, larger
connection dots, Run bringing the Canvas tab (and its test panel) into view, a right-click
menu that only deletes (the canvas's own "Edit Node" would
change a label the draft does not keep: agents are edited in the form), and a form that
steps aside the moment another agent is clicked.

The canvas is a component in a same-origin iframe; this script (in the page) reaches into
it. A drop is handed to the server through a hidden text box (``builder_drop``) holding
``preset|x|y|nonce`` in canvas coordinates. Clicking an agent on the canvas greys the panel
beside it out at once (``st-key-builder_side_panel``), so typing cannot land in the previous
agent's form while the page redraws; it comes back with the form of the clicked agent
(``st-key-agent_form_n<index>``).
"""

from __future__ import annotations

import json

import streamlit as st

DROP_KEY = "builder_drop"
_DONE_KEY = "builder_drop_done"

_SCRIPT = """
<script>
(() => {
  const presets = %(presets)s;
  window.__rtPresets = presets;
  if (window.__rtBuilder) return;
  window.__rtBuilder = true;
  const style = document.createElement("style");
  style.textContent = `.rt-switching {opacity: .35; pointer-events: none; position: relative;}
    .st-key-builder_drop_box {position: absolute !important; left: -10000px; width: 1px;
      height: 1px; overflow: hidden;}
    .st-key-builder_palette button {cursor: grab; -webkit-user-drag: element;}`;
  document.head.appendChild(style);
  const canvasFrame = () => document.querySelector(".st-key-builder_canvas iframe");
  const send = (text) => {
    const input = document.querySelector(".st-key-builder_drop_box input");
    if (!input) return;
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, text);
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", code: "Enter",
                                                      keyCode: 13, bubbles: true}));
  };
  // A drop handed over while the page redraws can be lost with the redraw: when no new
  // agent shows up on the canvas, hand it over again. The server adds a drop once (it
  // remembers the last one, nonce included), so a drop that did arrive is not added twice.
  const handOver = (text, agents, tries = 4) => {
    const count = agents();
    send(text);
    setTimeout(() => {
      if (tries <= 1 || agents() > count) return;
      send("");
      setTimeout(() => handOver(text, agents, tries - 1), 150);
    }, 1500);
  };
  let opening = null;
  const settle = () => {
    const panel = document.querySelector(".st-key-builder_side_panel");
    if (panel) panel.classList.remove("rt-switching");
    opening = null;
  };
  let hooks = () => {};  // set below: hook a redrawn palette or canvas as soon as it is there
  new MutationObserver(() => {
    if (opening && document.querySelector(".st-key-agent_form_" + opening)) settle();
    hooks();
  }).observe(document.body, {subtree: true, childList: true});
  const stepAside = (doc, node) => {
    const id = node.getAttribute("data-id");
    const panel = document.querySelector(".st-key-builder_side_panel");
    if (!id || !panel || document.querySelector(".st-key-agent_form_" + id)) return;
    opening = id;
    panel.classList.add("rt-switching");
    setTimeout(() => { if (opening === id) settle(); }, 6000);
  };
  const hookCanvas = () => {
    const frame = canvasFrame();
    if (frame && !frame.__rtLoadHooked) {  // a reloaded canvas is hooked as soon as it loads
      frame.__rtLoadHooked = true;
      frame.addEventListener("load", () => hooks());
    }
    const doc = frame && frame.contentDocument;
    if (!doc || !doc.body || doc.__rtHooked) return;
    doc.__rtHooked = true;
    const css = doc.createElement("style");
    css.textContent = `.react-flow__handle {width: 16px !important; height: 16px !important;
        border: 3px solid #fff !important; background: #1c83e1 !important;}
      .react-flow__handle:hover {transform: translate(-50%%, -50%%) scale(1.35);}
      .react-flow__handle-left {left: -8px !important;}
      .react-flow__handle-right {right: -8px !important;}
      .react-flow.rt-dropping {outline: 3px dashed #1c83e1; outline-offset: -6px;}
      button:has(> i.bi-tools) {display: none !important;}`;
    doc.head.appendChild(css);
    let down = null;
    doc.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; }, true);
    doc.addEventListener("click", (e) => {
      const node = e.target.closest(".react-flow__node");
      if (!node || e.target.closest(".react-flow__handle") || !down) return;
      if (Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 6) return;  // a drag
      stepAside(doc, node);
    }, true);
    const pane = () => doc.querySelector(".react-flow");
    doc.addEventListener("dragover", (e) => {
      if (window.__rtDragging == null) return;
      e.preventDefault();
      pane() && pane().classList.add("rt-dropping");
    });
    doc.addEventListener("dragleave", () => pane() && pane().classList.remove("rt-dropping"));
    doc.addEventListener("drop", (e) => {
      const preset = window.__rtDragging;
      window.__rtDragging = null;
      if (preset == null) return;
      e.preventDefault();
      const flow = pane();
      flow && flow.classList.remove("rt-dropping");
      const viewport = doc.querySelector(".react-flow__viewport");
      const box = flow.getBoundingClientRect();
      let [tx, ty, zoom] = [0, 0, 1];
      const m = /translate\\(([-\\d.]+)px, ?([-\\d.]+)px\\) scale\\(([-\\d.]+)\\)/.exec(
        viewport ? viewport.style.transform : "");
      if (m) [tx, ty, zoom] = [parseFloat(m[1]), parseFloat(m[2]), parseFloat(m[3])];
      const x = (e.clientX - box.left - tx) / zoom - 60, y = (e.clientY - box.top - ty) / zoom - 25;
      handOver(`${preset}|${x.toFixed(1)}|${y.toFixed(1)}|${Date.now()}`,
               () => { const f = canvasFrame(); const d = f && f.contentDocument;
                       return d ? d.querySelectorAll(".react-flow__node").length : 0; });
    });
  };
  // The palette's buttons are draggable by style, so a button Streamlit has just redrawn
  // can be dragged before any script has touched it; one listener serves them all.
  const paletteButtons = () => [...document.querySelectorAll(".st-key-builder_palette button")]
    .filter((b) => !b.closest('[data-testid="stWidgetLabel"]') && b.innerText.trim());
  document.addEventListener("dragstart", (e) => {
    const button = e.target.closest && e.target.closest(".st-key-builder_palette button");
    const index = button ? paletteButtons().indexOf(button) : -1;
    if (index < 0) return;
    window.__rtDragging = window.__rtPresets[index];
    e.dataTransfer.setData("text/plain", window.__rtDragging || "");
    e.dataTransfer.effectAllowed = "copy";
  }, true);
  document.addEventListener("dragend", (e) => {
    if (e.target.closest && e.target.closest(".st-key-builder_palette button")) {
      setTimeout(() => { window.__rtDragging = null; }, 500);
    }
  }, true);
  const hookPalette = () => {  // (the attribute, for browsers without the style)
    paletteButtons().forEach((button) => button.setAttribute("draggable", "true"));
  };
  // Run (at the top) shows its run in the test panel beside the canvas: bring that tab
  // into view when another one (Text, Save & versions) is open.
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".st-key-builder_run button")) return;
    const tab = [...document.querySelectorAll('[role="tab"]')]
      .find((t) => t.innerText.trim() === "Canvas");
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
  }, true);
  hooks = () => { hookCanvas(); hookPalette(); };
  hooks();
  setInterval(hooks, 250);  // the canvas's own document loads after its iframe appears
})();
</script>
"""


def builder_client_script(presets: list[str]) -> None:
    """The browser side of the Builder, and the hidden box a drop comes back through."""
    st.html(_SCRIPT % {"presets": json.dumps(presets)}, unsafe_allow_javascript=True)
    with st.container(key="builder_drop_box"):
        st.text_input("Dropped agent", key=DROP_KEY, label_visibility="collapsed")


def dropped_preset() -> tuple[str, tuple[float, float]] | None:
    """The preset dropped on the canvas since the last look, and where (at most once)."""
    value = str(st.session_state.get(DROP_KEY) or "")
    if not value or value == st.session_state.get(_DONE_KEY):
        return None
    st.session_state[_DONE_KEY] = value
    parts = value.split("|")
    if len(parts) != 4:
        return None
    try:
        return parts[0], (float(parts[1]), float(parts[2]))
    except ValueError:
        return None
