"""Immediate feedback in the browser: a click or an Enter that sends something to a run
shows "Sending…" at once, before the server has redrawn the page (which can take a moment
on a busy machine), and the note goes as soon as the server's answer is drawn."""

from __future__ import annotations

import streamlit as st

# What counts as "sending" and what the note says. The note disappears when the
# acknowledgement the server draws (``ack``) changes.
_SCRIPT = """
<script>
(() => {
  if (window.__rtFeedback) return;
  window.__rtFeedback = true;
  const ack = () => (document.querySelector('.rt-ack') || {dataset: {n: ''}}).dataset.n;
  const show = (text) => {
    let box = document.getElementById('rt-sending');
    if (!box) {
      box = document.createElement('div');
      box.id = 'rt-sending';
      box.setAttribute('role', 'status');
      box.style.cssText = 'position:fixed;bottom:96px;left:50%;transform:translateX(-50%);' +
        'z-index:1000;background:#1c83e1;color:#fff;padding:6px 14px;border-radius:16px;' +
        'font:14px sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.2);pointer-events:none';
      document.body.appendChild(box);
    }
    const input = document.querySelector('[data-testid="stChatInput"]');  // stay above it
    const top = input ? input.getBoundingClientRect().top : window.innerHeight - 88;
    box.style.bottom = Math.max(16, window.innerHeight - top + 10) + 'px';
    box.textContent = text;
    box.dataset.ack = ack();
    box.style.display = 'block';
    clearTimeout(box.__timer);
    box.__timer = setTimeout(() => { box.style.display = 'none'; }, 30000);
  };
  new MutationObserver(() => {
    const box = document.getElementById('rt-sending');
    if (box && box.style.display === 'block' && ack() !== box.dataset.ack) {
      box.style.display = 'none';
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['data-n']});
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || !e.target.value || !e.target.value.trim()) return;
    if (e.target.closest('[data-testid="stChatInput"]')) show('⏳ Sending…');
    else if (e.target.closest('.st-key-human_panel')) show('⏳ Sending your answer…');
  }, true);
  document.addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (!button || button.disabled) return;
    if (button.closest('[data-testid="stChatInput"]')) show('⏳ Sending…');
    else if (button.closest('.st-key-human_panel')) show('⏳ Sending your answer…');
    else if (button.closest('.st-key-pause_button')) show('⏸️ Pausing after this message…');
    else if (button.closest('.st-key-resume_button')) show('▶️ Resuming…');
    else if (button.closest('.st-key-stop_button')) show('⏹️ Stopping…');
  }, true);
})();
</script>
"""


def feedback_script() -> None:
    """Install the browser side once per page (it is inert where nothing can be sent)."""
    st.html(_SCRIPT, unsafe_allow_javascript=True)


def acknowledge(token: str) -> None:
    """Draw what the server has processed so far; a change hides the "Sending…" note."""
    safe = "".join(ch for ch in token if ch.isalnum() or ch in "-_|:.")
    st.html(f'<span class="rt-ack" data-n="{safe}" hidden></span>')
