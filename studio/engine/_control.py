"""The handle shared between a running conversation and the outside world.

A :class:`RunControl` carries the event handler, the human-input provider, and the
controls another thread may use while the run goes on: cancel, pause/resume and
interject. Chats create a default one when none is given.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from . import events as ev
from ._human import HumanInputProvider, NoHuman
from ._replay import Recording, Replayer
from ._usage import UsageTracker


class Cancelled(Exception):
    """Raised inside the run when it has been cancelled; chats turn it into a stop reason."""


class CancelToken:
    """A thread-safe flag with callbacks, so blocking work can be interrupted."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failing abort hook must not stop the others
                pass

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from the cancelling thread) when cancelled; returns a remover.

        If already cancelled, the callback runs at once.
        """
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def remove() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return remove
        callback()
        return lambda: None

    def raise_if_set(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class RunControl:
    """What a run shares with the outside: events out; cancel, pause and messages in.

    ``replay``: a :class:`Recording` of this conversation so far. The run then rebuilds
    its state from it (no model, human, tool or code call is made for what it holds, and
    its events are not emitted again unless ``echo_replayed``) and goes on live after it.
    """

    def __init__(
        self,
        on_event: ev.EventHandler | None = None,
        human: HumanInputProvider | None = None,
        *,
        human_name: str = "human",
        replay: Recording | None = None,
        echo_replayed: bool = False,
    ) -> None:
        self._on_event = on_event
        self.human: HumanInputProvider = human or NoHuman()
        self.human_name = human_name
        self.cancel_token = CancelToken()
        self.usage = UsageTracker()
        self._resume = threading.Event()
        self._resume.set()
        self._inbox: deque[str] = deque()
        self._inbox_closed = False
        self._lock = threading.Lock()
        self._chat_counter = 0
        self._replayer = Replayer(replay) if replay is not None and len(replay) else None
        self.echo_replayed = echo_replayed

    # -- events -------------------------------------------------------------------------
    def emit(self, event: ev.Event) -> None:
        replayer = self.replayer
        if replayer is not None and self.cancelled and not event.transient:
            replayer = self._replayer = None  # stopped while rebuilding: the rest is live
        if replayer is not None:
            if event.transient or not replayer.consume(event) or not self.echo_replayed:
                return  # already recorded
        if self._on_event is not None:
            self._on_event(event)

    @property
    def replayer(self) -> Replayer | None:
        """The recording being replayed, while some of it is left (engine-internal)."""
        replayer = self._replayer
        return replayer if replayer is not None and replayer.active else None

    @property
    def replaying(self) -> bool:
        """True while the run is still rebuilding itself from its recording."""
        return self.replayer is not None

    def new_chat_id(self) -> str:
        with self._lock:
            self._chat_counter += 1
            return f"c{self._chat_counter}"

    # -- controls used from other threads ------------------------------------------------
    def cancel(self) -> None:
        self.cancel_token.set()
        self._resume.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.is_set()

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def interject(self, text: str) -> bool:
        """Queue a message from the human; it is delivered before the next turn. False (and
        nothing queued) once the run has ended and :meth:`close_interjections` was called."""
        if not text.strip():
            return True
        with self._lock:
            if self._inbox_closed:
                return False
            self._inbox.append(text)
        return True

    def close_interjections(self) -> list[str]:
        """The run has ended: return the messages no turn took (the caller tells the person,
        so nothing typed is lost) and refuse any sent from now on."""
        with self._lock:
            self._inbox_closed = True
            items = list(self._inbox)
            self._inbox.clear()
        return items

    # -- used by the run loop ------------------------------------------------------------
    def take_interjections(self) -> list[str]:
        with self._lock:
            items = list(self._inbox)
            self._inbox.clear()
        return items

    def checkpoint(self, chat_id: str = "", depth: int = 0) -> None:
        """Between turns: raise if cancelled, wait while paused (cancel still wins)."""
        self.cancel_token.raise_if_set()
        if not self._resume.is_set():
            self.emit(ev.RunPaused(chat_id=chat_id, depth=depth))
            while not self._resume.wait(0.1):
                pass
            self.cancel_token.raise_if_set()
            self.emit(ev.RunResumed(chat_id=chat_id, depth=depth))
