"""Code execution: extract fenced code blocks and run them with an executor."""

from ._interface import CodeBlock, CodeExecutionError, CodeExecutor, CodeResult, FileInfo

__all__ = ["CodeBlock", "CodeExecutionError", "CodeExecutor", "CodeResult", "FileInfo"]
