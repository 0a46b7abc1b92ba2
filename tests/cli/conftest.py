"""The CLI tests see bugs as tracebacks: unexpected exceptions are not turned into ``Error: internal error``."""

from __future__ import annotations

import pytest

from just_workflow.cli.failures import DEBUG_VARIABLE


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
