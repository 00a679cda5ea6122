"""Model clients: one interface, several providers."""

from ._interface import ModelClient, ModelError, ModelRequest, ModelResponse
from ._testing import FunctionModel, ScriptedModel

__all__ = [
    "FunctionModel",
    "ModelClient",
    "ModelError",
    "ModelRequest",
    "ModelResponse",
    "ScriptedModel",
]
