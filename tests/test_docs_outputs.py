"""The outputs pasted in docs/scenarios.md are what the program prints (issue 23: docs that cannot drift).

Every ``sh`` block followed by a ``text`` block is run in-process (``chipdeal`` commands, with the ``grep``
filters the block pipes them through), in a copy of ``runs/`` holding the files the guide creates, and its
output compared with the text line by line: words and whole numbers exactly, decimals to their printed
precision (a relative 1e-3, or one unit of the last digit shown, which a value on a rounding boundary may
move on another CPU), so a CPU's last-bit rounding cannot fail it but a changed result does. A ``…`` line
in the text stands for lines left out. Blocks that pipe into Python are left out.
"""

import contextlib
import io
import re
import shlex
import shutil
import textwrap

import pytest
from helpers import ROOT

from negotiation.cli import main

GUIDE = ROOT / "docs" / "scenarios.md"
NUMBER = re.compile(r"[-−]?\$?¥?\d[\d,]*(?:\.\d+)?%?")


def blocks():
    return re.findall(r"```(\w+)\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def created_files():
    """The scenario files the guide asks the reader to create ("Create `path`", "saved as `path`"): the next
    toml block after the words."""
    text = GUIDE.read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"(?:Create|saved as) `(runs/[^`]+\.toml)`", text):
        block = re.compile(r"```toml\n(.*?)```", re.S).search(text, m.end())
        found.setdefault(m.group(1), textwrap.dedent(block.group(1)))
    return found


def pairs():
    found = blocks()
    out = []
    for (lang, body), (next_lang, shown) in zip(found, found[1:], strict=False):
        if lang == "sh" and next_lang == "text" and "python" not in body:
            out.append(pytest.param(body, shown, id=body.strip().splitlines()[0][:60]))
    return out


def run_line(line: str) -> list[str]:
    """One shell line: ``uv run chipdeal ARGS [| grep …]*``, run in-process; its stdout and stderr lines."""
    stages = [shlex.split(part) for part in line.split(" | ")]
    command = stages[0]
    assert command[:3] == ["uv", "run", "chipdeal"], line
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.suppress(SystemExit):
        main(command[3:])
    lines = (out.getvalue() + err.getvalue()).splitlines()
    for stage in stages[1:]:
        assert stage[0] == "grep", line
        pattern = stage[-1] if "-E" in stage else re.escape(stage[-1])
        lines = [ln for ln in lines if re.search(pattern, ln)]
    return lines


def same_line(shown: str, printed: str) -> bool:
    a, b = NUMBER.split(shown.strip()), NUMBER.split(printed.strip())
    if [w.split() for w in a] != [w.split() for w in b]:
        return False
    for x, y in zip(NUMBER.findall(shown), NUMBER.findall(printed), strict=True):
        fx, fy = (float(v.replace("−", "-").strip("$¥%").replace(",", "")) for v in (x, y))
        if "." not in x:  # a count, a round, a seed, a whole percent: exactly
            if fx != fy:
                return False
            continue
        unit = 10.0 ** -len(x.split(".")[1].rstrip("%"))  # a rounding boundary may move the last digit by one
        if abs(fx - fy) > max(1e-3 * max(abs(fx), abs(fy)), unit * (1 + 1e-9)):
            return False
    return True


def matches(shown: list[str], printed: list[str]) -> str | None:
    """Why the printed lines do not match the shown ones (None if they do); '…' skips printed lines."""
    i = 0
    skipping = False
    for want in shown:
        if want.strip() == "…":
            skipping = True
            continue
        while i < len(printed) and not same_line(want, printed[i]):
            if not skipping:
                return f"shown:   {want}\nprinted: {printed[i]}"
            i += 1
        if i == len(printed):
            return f"not printed: {want}"
        i += 1
        skipping = False
    return None if skipping or i == len(printed) else f"printed, not shown: {printed[i]}"


@pytest.fixture(scope="module")
def guide_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("guide")
    shutil.copytree(ROOT / "runs", root / "runs")
    for path, text in created_files().items():
        (root / path).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(("commands", "shown"), pairs())
def test_the_guides_outputs_are_what_the_program_prints(commands, shown, guide_tree, monkeypatch):
    monkeypatch.chdir(guide_tree)
    printed = [ln for line in commands.strip().splitlines() if line.strip() for ln in run_line(line.strip())]
    want = [ln for ln in shown.splitlines() if ln.strip()]
    printed = [ln for ln in printed if ln.strip()]
    problem = matches(want, printed)
    assert problem is None, problem
