"""Checks the CLI tests share."""


def one_error_line(err: str) -> str:
    """The single stderr line of a refused command (fails if there are more, or a traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("chipdeal: error: ") and "Traceback" not in err
    return lines[0]
