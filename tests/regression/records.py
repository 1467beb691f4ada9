"""Regression records that travel: every shipped scenario file × seeds 0–19, as readable JSON, compared to a tolerance.

One file per scenario file under ``tests/regression/records/`` (``runs/baseline.toml`` →
``records/baseline.json``, ``runs/scenarios/x.toml`` → ``records/scenarios/x.json``). A seed's record holds

* the **path**, compared exactly: per offer its round, its proposer and every answer to it (each ratifier's,
  then the responder's: actor, accepted, reason); the run's outcome, steps and agreement round;
* the **numbers**, compared to a tolerance: each offer's terms (the US shares before and after recoup, each
  group's rate), both governments' utilities of it at its round, and each actor's gain at the end
  (``RunResult.utilities``, unrounded).

Floats are stored as Python writes them (``repr``: the shortest text that reads back to the same double) and
are never compared as text. NumPy's SIMD ``exp``/``expm1`` kernels round differently on different CPUs (with
AVX-512 or without, on ARM), so the last bits of a utility move from machine to machine; a hash of the text of
every float broke on any CPU but the one that wrote it. Two floats agree when
``math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)``, both 1e-9 (the absolute floor is the model's own
``ACCEPT_TOLERANCE``, in $bn or in shares). Measured (``scripts/ulp_probe.py``, and NumPy's AVX-512 kernels
switched off): last-bit differences reach 4e-15 relative on the shipped scenarios and, under random ±2-ulp
errors on every exp/expm1/log1p over 7,400 runs (random parameter points included), 2.3e-12 relative on
values above 0.1 and 4e-13 absolute on gains near 0 (differences of utilities of tens of $bn): margins of at
least 400 and 2,500. Any change a person could read fails.

``scripts/update_regression.py`` rewrites the records after an intended change (``--check`` compares
without writing).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECORDS = Path(__file__).with_name("records")
SEEDS = range(20)
REL_TOL = 1e-9  # relative tolerance of every stored float
ABS_TOL = 1e-9  # its absolute floor ($bn or share), for values near 0 (a gain at a lender's break-even)
FORMAT = ("rounds: one per offer, in order; answers: [actor, accepted, reason], each ratifier's, then the "
          "responder's; utilities: each government's utility of the offer at its round (PV $bn); the run's "
          "utilities: each actor's gain over no deal. Floats as repr; compared with math.isclose(rel_tol="
          f"{REL_TOL:g}, abs_tol={ABS_TOL:g}), everything else exactly (tests/regression/records.py).")


def scenario_files() -> list[Path]:
    """Every shipped scenario file: ``runs/baseline.toml`` and ``runs/scenarios/*.toml``."""
    return [ROOT / "runs" / "baseline.toml", *sorted((ROOT / "runs" / "scenarios").glob("*.toml"))]


def scenario_key(path: Path) -> str:
    """The scenario file's path from the repository root (``runs/scenarios/x.toml``): its records' key."""
    return path.relative_to(ROOT).as_posix()


def records_file(path: Path) -> Path:
    """Where the records of scenario file ``path`` are stored."""
    return RECORDS / path.relative_to(ROOT / "runs").with_suffix(".json")


def run_record(path: Path, seed: int) -> dict[str, Any]:
    """Everything observable about one seeded run of a scenario file: its path, then its numbers."""
    from negotiation.model import NegotiationModel
    from negotiation.scenario_files import load_scenario

    model = NegotiationModel(load_scenario(path), rng=seed, collect_data=False)
    result = model.run(solve=False)
    governments = (model.counterpart, model.principal)
    rounds = [{"round": offer.round, "proposer": offer.proposer,
               "answers": [[r.actor, r.accepted, r.reason] for r in answers],
               "us_share_before_recoup": offer.package.us_share_before_recoup,
               "us_profit_share": offer.package.us_profit_share,
               "tariff_rates": list(offer.package.tariff_rates),
               "utilities": {g.key: float(g.utility_of(offer.package, offer.round)) for g in governments}}
              for offer, answers in zip(model.offers, model.responses, strict=True)]
    return {"seed": seed, "rounds": rounds, "outcome": model.outcome, "steps": result.steps,
            "agreement_round": model.agreement_round,
            "utilities": {k: float(v) for k, v in result.utilities.items()}}


def current_records(path: Path) -> list[dict[str, Any]]:
    """The records of seeds 0–19 of scenario file ``path``, from the code as it is."""
    return [run_record(path, s) for s in SEEDS]


def dumps(path: Path, records: list[dict[str, Any]], commit: str) -> str:
    """The JSON text of a scenario file's records: one line per offer, so a diff shows the rounds that moved."""

    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    runs = []
    for record in records:
        head = [f'   {line(k)}: {line(v)}' for k, v in record.items() if k != "rounds"]
        rounds = ",\n".join(f"     {line(r)}" for r in record["rounds"])
        body = ",\n".join([*head[:1], f'   "rounds": [\n{rounds}\n   ]' if rounds else '   "rounds": []', *head[1:]])
        runs.append(f"  {{\n{body}\n  }}")
    runs_text = ",\n".join(runs)
    return (f'{{\n "scenario": {line(scenario_key(path))},\n "commit": {line(commit)},\n "format": {line(FORMAT)},\n'
            f' "runs": [\n{runs_text}\n ]\n}}\n')


def load(path: Path) -> dict[str, Any] | None:
    """The stored records of scenario file ``path`` (``None`` if it has none)."""
    file = records_file(path)
    return json.loads(file.read_text(encoding="utf-8")) if file.exists() else None


def floats_agree(stored: float, now: float) -> bool:
    """Whether two floats are the same number up to the records' tolerance (NaN agrees with NaN)."""
    if math.isnan(stored) or math.isnan(now):
        return math.isnan(stored) and math.isnan(now)
    return math.isclose(stored, now, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _is_float(value: Any) -> bool:
    return isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool))


def _differs(stored: Any, now: Any, where: str) -> str | None:
    """The first place where ``now`` departs from ``stored`` (``where`` names it), or ``None``."""
    if isinstance(stored, float) or isinstance(now, float):  # a number stored as a float: to the tolerance
        if _is_float(stored) and _is_float(now) and floats_agree(float(stored), float(now)):
            return None
        return f"{where}: stored {stored!r}, now {now!r}"
    if isinstance(stored, dict) and isinstance(now, dict):
        if set(stored) != set(now):
            return f"{where or 'record'}: stored keys {sorted(stored)}, now {sorted(now)}"
        for key in stored:
            found = _differs(stored[key], now[key], f"{where}.{key}" if where else key)
            if found:
                return found
        return None
    if isinstance(stored, list) and isinstance(now, list):
        for i, (a, b) in enumerate(zip(stored, now, strict=False)):
            found = _differs(a, b, f"{where}[{i}]")
            if found:
                return found
        if len(stored) != len(now):
            return f"{where}: stored {len(stored)} entries, now {len(now)}"
        return None
    if type(stored) is not type(now) or stored != now:  # the path (bools, ints, strings): exactly
        return f"{where}: stored {stored!r}, now {now!r}"
    return None


def first_difference(stored: dict[str, Any], now: dict[str, Any]) -> str | None:
    """Where a run's record first departs from the stored one: the round and the field, with both values.

    Rounds are compared in order, each round's path (round, proposer, answers) before its numbers, and the
    run's outcome, steps and gains after its rounds; so the message names the first round that moved.

    Args:
        stored: a seed's stored record.
        now: the same seed's record from the code as it is.

    Returns:
        ``"round 5 (japan proposes): answers[2] (us).accepted: stored False, now True"`` and the like, or
        ``None`` when the two agree.

    """
    old_rounds, new_rounds = stored.get("rounds", []), now.get("rounds", [])
    for old, new in zip(old_rounds, new_rounds, strict=False):
        label = f"round {old.get('round')} ({old.get('proposer')} proposes)"
        for key in ("round", "proposer"):
            if old.get(key) != new.get(key):
                return f"{label}: {key}: stored {old.get(key)!r}, now {new.get(key)!r}"
        old_answers, new_answers = old.get("answers", []), new.get("answers", [])
        for i, (a, b) in enumerate(zip(old_answers, new_answers, strict=False)):
            for j, field in enumerate(("actor", "accepted", "reason")):
                if a[j] != b[j] or type(a[j]) is not type(b[j]):
                    return f"{label}: answers[{i}] ({a[0]}).{field}: stored {a[j]!r}, now {b[j]!r}"
        if len(old_answers) != len(new_answers):
            return f"{label}: answers: stored {len(old_answers)}, now {len(new_answers)}"
        found = _differs(old, new, "")
        if found:
            return f"{label}: {found}"
    if len(old_rounds) != len(new_rounds):
        return f"rounds: stored {len(old_rounds)} offers, now {len(new_rounds)}"
    rest = {k: v for k, v in stored.items() if k != "rounds"}
    return _differs(rest, {k: v for k, v in now.items() if k != "rounds"}, "")


def floats_not_bitwise_equal(stored: Any, now: Any) -> int:
    """How many floats of ``now`` differ from ``stored`` in any bit (within the tolerance or not): a diagnostic."""
    if isinstance(stored, dict) and isinstance(now, dict):
        return sum(floats_not_bitwise_equal(stored[k], now[k]) for k in stored if k in now)
    if isinstance(stored, list) and isinstance(now, list):
        return sum(floats_not_bitwise_equal(a, b) for a, b in zip(stored, now, strict=False))
    if isinstance(stored, float) and isinstance(now, float):
        return int(stored.hex() != now.hex())
    return 0


def compare(path: Path, stored: dict[str, Any] | None, now: list[dict[str, Any]]) -> list[str]:
    """Every seed whose run departs from scenario file ``path``'s stored records, each with its first difference.

    Returns:
        One line per differing seed, ``"runs/x.toml seed 3: round 5 (…): field: stored …, now …"``; empty when
        every seed replays its stored path and numbers.

    """
    key = scenario_key(path)
    if stored is None:
        return [f"{key}: no stored records ({records_file(path).relative_to(ROOT)}: run "
                "scripts/update_regression.py)"]
    by_seed = {r["seed"]: r for r in stored["runs"]}
    lines = []
    for record in now:
        old = by_seed.get(record["seed"])
        found = "no stored record" if old is None else first_difference(old, record)
        if found:
            lines.append(f"{key} seed {record['seed']}: {found}")
    missing = sorted(set(by_seed) - {r["seed"] for r in now})
    if missing:
        lines.append(f"{key}: stored seeds {missing} were not run")
    return lines
