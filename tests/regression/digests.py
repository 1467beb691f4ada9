"""Digests of whole runs: every offer, answer, outcome and utility of a seeded run, hashed.

Covasim's pattern, widened: the regression file holds one digest per shipped scenario file × seed, so a
change that moves any seed's path (not only seed 0's result) fails a test. ``scripts/update_regression.py``
rewrites the file after an intended change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIGESTS = Path(__file__).with_name("digests.json")
SEEDS = range(20)


def scenario_files() -> list[Path]:
    """Every shipped scenario file (runs/*.toml that are scenarios, and runs/scenarios/*.toml)."""
    files = [ROOT / "runs" / "baseline.toml", *sorted((ROOT / "runs" / "scenarios").glob("*.toml"))]
    return files


def run_record(path: Path, seed: int) -> dict:
    """Everything observable about one run, as exact text (floats by ``repr``)."""
    from negotiation.model import NegotiationModel
    from negotiation.scenario_files import load_scenario

    model = NegotiationModel(load_scenario(path), rng=seed, collect_data=False)
    result = model.run(solve=False)
    offers = [[o.round, o.proposer, repr(o.package.us_profit_share), repr(o.package.relief_fraction)]
              for o in model.offers]
    answers = [[[r.actor, r.accepted, r.reason] for r in rs] for rs in model.responses]
    return {"offers": offers, "answers": answers, "outcome": model.outcome, "steps": result.steps,
            "utilities": {k: repr(v) for k, v in sorted(result.to_json()["utilities"].items())}}


def digest(record: dict) -> str:
    """SHA-256 of a run record (first 16 hex digits)."""
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def current_digests() -> dict[str, list[str]]:
    """scenario file name → the digests of seeds 0–19, from the code as it is."""
    return {p.relative_to(ROOT).as_posix(): [digest(run_record(p, s)) for s in SEEDS] for p in scenario_files()}
