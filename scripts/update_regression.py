"""Rewrite the regression file from the current code (run on an intended change only, and say why in the commit).

tests/regression/digests.json: one digest per shipped scenario file × seeds 0–19 (every offer, answer and
utility of the run).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from regression.digests import DIGESTS, current_digests  # noqa: E402

commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                        cwd=ROOT).stdout.strip()
DIGESTS.write_text(json.dumps({"commit": commit, "seeds": "0-19", "digests": current_digests()}, indent=1,
                              sort_keys=True) + "\n")
print(f"wrote {DIGESTS.relative_to(ROOT)} at {commit}")
