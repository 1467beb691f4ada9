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
