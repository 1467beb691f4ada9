"""Helpers the CLI-level tests share: run the real `chipdeal` command, write batch files next to the baseline."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "runs" / "baseline.toml"


def chipdeal(*args, cwd=ROOT, timeout=900):
    """Run ``chipdeal ARGS`` as a user would (a fresh process), capturing its output."""
    return subprocess.run([sys.executable, "-m", "negotiation.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def write_batch_file(folder: Path, body: str, name: str = "s.toml") -> Path:
    """A sweep or sensitivity file on the baseline scenario, with ``body`` after its ``scenario`` line."""
    path = folder / name
    path.write_text(f'scenario = "{BASELINE}"\n' + body)
    return path
