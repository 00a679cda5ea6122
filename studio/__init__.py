"""Roundtable Studio: a low-code studio for multi-agent conversations."""

__version__ = "0.1.0"
