"""Code execution: extract fenced code blocks and run them with an executor."""

from ._blocks import extract_code_blocks, format_code_result, normalize_language
from ._docker import DEFAULT_IMAGE, DockerExecutor, cleanup_stale_containers, default_base_url
from ._env import code_environment
from ._interface import CodeBlock, CodeExecutionError, CodeExecutor, CodeResult, FileInfo
from ._local import BWRAP_MISSING, LocalExecutor, NoExecutor, local_sandbox_status
from ._resources import Limits
from ._sandboxed_tool import ToolRunError, sandboxed_tool, signature_from_source

__all__ = [
    "BWRAP_MISSING",
    "DEFAULT_IMAGE",
    "CodeBlock",
    "CodeExecutionError",
    "CodeExecutor",
    "CodeResult",
    "DockerExecutor",
    "FileInfo",
    "Limits",
    "LocalExecutor",
    "NoExecutor",
    "ToolRunError",
    "cleanup_stale_containers",
    "code_environment",
    "default_base_url",
    "extract_code_blocks",
    "format_code_result",
    "local_sandbox_status",
    "normalize_language",
    "sandboxed_tool",
    "signature_from_source",
]
