"""The packaging tests' marker: `slow` for the ones that build and install the wheel."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register `slow` so `-m "not slow"` can leave out the wheel build."""
    config.addinivalue_line("markers", "slow: builds and installs the wheel (about a minute)")
