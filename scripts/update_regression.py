"""Rewrite tests/baseline_regression.json from the current code (run on an intended change only)."""

import json
import subprocess
from pathlib import Path

from negotiation.model import NegotiationModel
from negotiation.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SEED = 0
model = NegotiationModel(load_scenario(ROOT / "runs" / "baseline.toml"), rng=SEED, collect_data=False)
result = model.run()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                        cwd=ROOT).stdout.strip()
record = {"seed": SEED, "commit": commit, "scenario_hash": model.scenario_hash(),
          "result": {"us_profit_share": result.package.us_profit_share,
                     "relief_fraction": result.package.relief_fraction,
                     "steps": result.steps, "utilities": result.utilities}}
(ROOT / "tests" / "baseline_regression.json").write_text(json.dumps(record, indent=2) + "\n")
print(json.dumps(record, indent=2))
