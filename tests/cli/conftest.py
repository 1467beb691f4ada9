"""Shared fixtures of the CLI tests: call ``negotiation.cli.main`` in-process and capture what it prints."""

import pytest

from negotiation.cli import main


@pytest.fixture
def cli(capsys):
    """``cli("run", "--json")`` → (exit status, stdout, stderr) of ``chipdeal run --json``, in-process."""

    def call(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def one_error_line(err: str) -> str:
    """The single stderr line of a refused command (fails if there are more, or a traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("chipdeal: error: ") and "Traceback" not in err
    return lines[0]
