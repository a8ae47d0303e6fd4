"""Shared simulated studies (module-cached: generation is deterministic)."""

from __future__ import annotations

from functools import cache

from autoserum.simulate import SimulatedStudy, simulate_study


@cache
def study(code: str, n: int, seed: int) -> SimulatedStudy:
    """A simulated study, generated once per test session."""
    return simulate_study(code, n, seed)
