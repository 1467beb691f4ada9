"""Re-paste the outputs in docs/scenarios.md that no longer match what the program prints.

Runs each ``sh`` block followed by a ``text`` block as tests/test_docs_outputs.py does (in a copy of ``runs/``
with the files the guide creates). A block that matches is left alone; one that does not is replaced by the
printed lines, unless it elides lines with ``…`` — then its first mismatch is printed for a person to mend.
The prose around a block is not touched: read it again after a refresh (its numbers are the reader's).

Usage: uv run python scripts/refresh_guide.py [--check]
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_docs_outputs import GUIDE, created_files, matches, pairs, run_line  # noqa: E402


def main() -> None:
    check = "--check" in sys.argv
    text = GUIDE.read_text(encoding="utf-8")
    stale = 0
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "runs", Path(tmp) / "runs")
        for path, body in created_files().items():
            (Path(tmp) / path).write_text(body, encoding="utf-8")
        here = os.getcwd()
        os.chdir(tmp)
        try:
            for param in pairs():
                commands, shown = param.values
                printed = [ln for line in commands.strip().splitlines() if line.strip()
                           for ln in run_line(line.strip()) if ln.strip()]
                problem = matches([ln for ln in shown.splitlines() if ln.strip()], printed)
                if problem is None:
                    continue
                stale += 1
                first = commands.strip().splitlines()[0]
                if check or "…" in shown:
                    print(f"{first}\n  {problem}\n", file=sys.stderr)
                    continue
                old = f"```sh\n{commands}```\n\n```text\n{shown}```"
                if old not in text:
                    old = f"```sh\n{commands}```\n```text\n{shown}```"
                if old not in text:
                    print(f"{first}\n  could not place the block; mend by hand\n", file=sys.stderr)
                    continue
                text = text.replace(old, old.replace(f"```text\n{shown}```", "```text\n" + "\n".join(printed)
                                                     + "\n```"), 1)
                print(f"refreshed: {first}")
        finally:
            os.chdir(here)
    if not check:
        GUIDE.write_text(text, encoding="utf-8")
    print(f"{stale} block(s) did not match")
    sys.exit(1 if check and stale else 0)


if __name__ == "__main__":
    main()
