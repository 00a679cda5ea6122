"""Model clients: one interface, several providers."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # what each name is; it is imported on first use (see _lazy)
    from ._demo import DemoModel, DemoPace, DemoScript, DemoScriptError, DemoTurn
    from ._interface import ModelClient, ModelError, ModelRequest, ModelResponse
    from ._local import LocalModel, local_model_available
    from ._openai import DEFAULT_RETRIES, DEFAULT_TIMEOUT, OpenAIChatModel
    from ._testing import FunctionModel, ScriptedModel


__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DemoModel",
    "DemoPace",
    "DemoScript",
    "DemoScriptError",
    "DemoTurn",
    "LocalModel",
    "local_model_available",
    "FunctionModel",
    "ModelClient",
    "ModelError",
    "ModelRequest",
    "ModelResponse",
    "OpenAIChatModel",
    "ScriptedModel",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
