"""Shared test configuration: the Hypothesis profiles (shared test data lives in fixtures.py)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# A quick profile for local runs, a thorough one for CI (HYPOTHESIS_PROFILE=ci in .ci/run).
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
