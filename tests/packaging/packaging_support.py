"""Helpers of the packaging and deployment tests: the repository root and required tools."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def require_tool(name: str, install: str) -> str:
    """The tool's path; missing, it skips with how to get it, or fails under CI=true."""
    found = shutil.which(name, path=f"{Path(sys.executable).parent}{os.pathsep}"
                                    f"{os.environ.get('PATH', '')}")
    if found is None:
        reason = f"{name} is not installed ({install})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs {name}: {reason}")
        pytest.skip(reason)
    return found
