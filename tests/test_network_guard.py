"""The suite-wide guard in tests/conftest.py: a test that would reach a model (or anything)
beyond this machine fails at once. Checked without sending a single packet: the guard wraps
a recording stand-in for the real connect."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import NetworkBlockedError, _guarded


class _Sock:
    family = socket.AF_INET


@pytest.mark.parametrize("address", [("api.openai.com", 443), ("203.0.113.7", 80), ("10.0.0.1", 11434)])
def test_remote_addresses_are_refused_before_connecting(address):
    calls = []
    connect = _guarded(lambda self, addr: calls.append(addr))
    with pytest.raises(NetworkBlockedError, match="must not reach the network"):
        connect(_Sock(), address)
    assert calls == []


@pytest.mark.parametrize("address", [("127.0.0.1", 8501), ("localhost", 11434), ("::1", 80)])
def test_loopback_is_allowed(address):
    calls = []
    connect = _guarded(lambda self, addr: calls.append(addr))
    connect(_Sock(), address)
    assert calls == [address]


def test_the_guard_is_installed_for_the_whole_suite():
    assert getattr(socket.socket.connect, "_loopback_guard", False)
    assert getattr(socket.socket.connect_ex, "_loopback_guard", False)
