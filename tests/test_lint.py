"""Lint and types are part of the suite: CI runs only ``pytest``, so a ruff or mypy error fails it here.

Each tool runs once, as the venv's own module (``python -m``), from the repository root so that it reads
``pyproject.toml`` (ruff's rules; mypy's files, plugins and overrides). mypy keeps its default cache,
``.mypy_cache`` (which ignores itself in git), so a second run is incremental.
"""

import subprocess
import sys

import pytest
from helpers import ROOT

TIMEOUT_S = 600  # a cold mypy run takes about 20 s; this only stops a hung process


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)


def test_ruff_check_passes():
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, f"ruff check . failed:\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_mypy_passes():
    result = _run("mypy")
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}{result.stderr}"
