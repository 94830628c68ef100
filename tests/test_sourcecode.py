"""Lint and type checks as tests (uvloop's test_sourcecode pattern): ruff on
every Python file of the project, mypy (disallow_untyped_defs) on the package."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support import ROOT


def tool(name: str) -> str:
    path = shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def test_ruff() -> None:
    result = subprocess.run([tool("ruff"), "check", "fastwsgi", "tests", "bench", "scripts",
                             "setup.py"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "fastwsgi"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    if "No module named mypy" in result.stderr:
        pytest.skip("mypy is not installed")
    assert result.returncode == 0, result.stdout + result.stderr
