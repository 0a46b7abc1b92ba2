"""Shared test configuration: Hypothesis profiles and paths to the bundled definitions."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"

# A quick profile for local runs, a thorough one for CI (HYPOTHESIS_PROFILE=ci in .ci/run).
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
