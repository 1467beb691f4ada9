"""Rewrite the regression files from the current code (run on an intended change only).

tests/regression/digests.json: one digest per shipped scenario file × seeds 0–19 (every offer, answer and
utility of the run). tests/baseline_regression.json: the baseline's seed-0 result in readable form.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from regression.digests import DIGESTS, current_digests  # noqa: E402

from negotiation.model import NegotiationModel  # noqa: E402
from negotiation.scenario import load_scenario  # noqa: E402

commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                        cwd=ROOT).stdout.strip()
DIGESTS.write_text(json.dumps({"commit": commit, "seeds": "0-19", "digests": current_digests()}, indent=1,
                              sort_keys=True) + "\n")
SEED = 0
model = NegotiationModel(load_scenario(ROOT / "runs" / "baseline.toml"), rng=SEED, collect_data=False)
result = model.run()
record = {"seed": SEED, "commit": commit, "scenario_hash": model.scenario_hash(),
          "result": {"us_profit_share": result.package.us_profit_share,
                     "relief_fraction": result.package.relief_fraction,
                     "steps": result.steps, "utilities": result.utilities}}
(ROOT / "tests" / "baseline_regression.json").write_text(json.dumps(record, indent=2) + "\n")
print(f"wrote {DIGESTS.relative_to(ROOT)} and tests/baseline_regression.json at {commit}")
