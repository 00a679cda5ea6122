"""Shared test helpers (real servers on loopback, no mocks)."""
