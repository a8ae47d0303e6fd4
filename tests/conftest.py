"""Root test configuration: seeded, deterministic property tests everywhere."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Seeded randomness only: Hypothesis runs derandomized (its seed is fixed), with no deadline so
# that a loaded 2-core CI machine never fails a test on time.
settings.register_profile(
    "autoserum",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("autoserum")
