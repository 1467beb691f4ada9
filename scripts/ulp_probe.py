"""Search for knife-edge decisions: does any run's path change when exp, expm1 and log1p round otherwise?

Another CPU's NumPy (AVX-512 or not, ARM) and another libm round ``exp``/``expm1``/``log1p`` differently in the
last bits. This runs every shipped scenario file over seeds 0..N−1 and random parameter points (every key of
the baseline with a stated "holds lo–hi" range, drawn uniformly over it, one seed each) once as this machine
computes them, then again in fresh processes whose every ``np.exp``, ``np.expm1``, ``math.exp``,
``math.expm1`` and ``math.log1p`` result is moved by a random −2…+2 ulps (exact cases, at an argument of 0, kept
exact as every implementation keeps them). A run's path (each offer's round and proposer, every answer and its
reason, the outcome and the steps) must not change; its floats may, and the largest relative and absolute
changes are printed beside the regression records' tolerance.

Usage: uv run python scripts/ulp_probe.py [--seeds 300] [--points 2000] [--noise 3]

It exits 1 if a path changed, printing the scenario or point, the seed and the first offer that differs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def option(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def add_noise(seed: int) -> None:
    """Move every exp/expm1/log1p result (NumPy's and libm's) by a random −2…+2 ulps from now on."""
    import numpy as np

    noise = np.random.default_rng(seed)

    def jitter(value: Any, argument: Any) -> Any:
        out = np.array(value, dtype=float)
        steps = np.where(np.asarray(argument, dtype=float) == 0.0, 0, noise.integers(-2, 3, size=out.shape))
        for k in (1, 2):
            out = np.where(steps >= k, np.nextafter(out, np.inf), out)
            out = np.where(steps <= -k, np.nextafter(out, -np.inf), out)
        return out if out.ndim else out[()]

    for name in ("exp", "expm1"):
        ufunc = getattr(np, name)
        setattr(np, name, lambda x, *a, _f=ufunc, **kw: jitter(_f(x, *a, **kw), x))
    for name in ("exp", "expm1", "log1p"):
        f = getattr(math, name)
        setattr(math, name, lambda x, _f=f: float(jitter(_f(x), x)))


def ranges() -> list[tuple[str, float, float]]:
    """The baseline's keys with a two-ended "holds" range (tests/model/test_baseline_ranges.py reads them)."""
    from model.test_baseline_ranges import claimed_ranges

    ends: dict[str, list[float]] = {}
    for key, value in claimed_ranges():
        ends.setdefault(key, []).append(value)
    return [(k, min(v), max(v)) for k, v in ends.items() if len(v) == 2 and min(v) < max(v)]


def run(spec: Any, seed: int, overrides: dict[str, float] | None = None) -> dict[str, Any]:
    from negotiation.model import NegotiationModel

    m = NegotiationModel(spec, overrides=overrides, rng=seed, collect_data=False)
    r = m.run(solve=False)
    path = [[o.round, o.proposer, [[a.actor, a.accepted, a.reason] for a in rs]]
            for o, rs in zip(m.offers, m.responses, strict=True)] + [m.outcome, r.steps]
    floats = [v for o in m.offers for v in (o.package.us_share_before_recoup, o.package.us_profit_share,
                                              *o.package.tariff_rates)]
    return {"path": path, "floats": floats + [float(v) for _, v in sorted(r.utilities.items())]}


def dump(seeds: int, points: int) -> dict[str, list[dict[str, Any]]]:
    """Every run this probe makes, in a fixed order (scenario files × seeds, then the random points)."""
    import numpy as np
    from regression.records import scenario_files, scenario_key

    from negotiation.scenario_files import load_scenario, value_at

    out = {scenario_key(p): [run(load_scenario(p), s) for s in range(seeds)] for p in scenario_files()}
    base = load_scenario(ROOT / "runs" / "baseline.toml")
    draw = np.random.default_rng(20261207)  # the points, fixed: the noise is the only difference between runs
    keys = ranges()
    rows = []
    for i in range(points):
        sets = {}
        for key, lo, hi in keys:
            value = lo + (hi - lo) * float(draw.random())
            sets[key] = round(value) if isinstance(value_at(base, key), int) else value
        try:
            rows.append(run(base, i, sets))
        except Exception as error:  # a combination the scenario refuses (e.g. floor above threat): skipped alike
            rows.append({"path": [f"refused: {type(error).__name__}"], "floats": []})
    out["random points"] = rows
    return out


def main() -> int:
    seeds, points, noises = option("--seeds", 300), option("--points", 2000), option("--noise", 3)
    if "--child" in sys.argv:
        if "--jitter" in sys.argv:
            add_noise(option("--jitter", 0))
        json.dump(dump(seeds, points), sys.stdout)
        return 0
    from regression.records import ABS_TOL, REL_TOL

    def child(*extra: str) -> dict[str, Any]:
        done = subprocess.run([sys.executable, __file__, "--child", "--seeds", str(seeds), "--points", str(points),
                               *extra], capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    reference = child()
    runs = sum(len(v) for v in reference.values())
    changed, worst_rel, worst_abs, moved = [], 0.0, 0.0, 0
    for k in range(1, noises + 1):
        other = child("--jitter", str(k))
        for where, rows in reference.items():
            for seed, (a, b) in enumerate(zip(rows, other[where], strict=True)):
                if a["path"] != b["path"]:
                    first = next((i for i, (x, y) in enumerate(zip(a["path"], b["path"], strict=False)) if x != y),
                                 min(len(a["path"]), len(b["path"])))
                    changed.append(f"noise {k}: {where} seed {seed}: path differs from entry {first}: "
                                   f"{a['path'][first:first + 1]} vs {b['path'][first:first + 1]}")
                    continue
                for x, y in zip(a["floats"], b["floats"], strict=True):
                    if x != y:
                        moved += 1
                        worst_abs = max(worst_abs, abs(x - y))
                        worst_rel = max(worst_rel, abs(x - y) / max(abs(x), abs(y)))
                    if not math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                        changed.append(f"noise {k}: {where} seed {seed}: a float moved beyond the records' "
                                       f"tolerance: {x!r} vs {y!r}")
    print(f"{runs} runs ({len(reference) - 1} scenario files x {seeds} seeds, {points} random points over "
          f"{len(ranges())} keys) x {noises} noise seeds: {len(changed)} changed beyond the tolerance; {moved} floats "
          f"moved in their last bits, at most {worst_rel:.2g} relative and {worst_abs:.2g} absolute "
          f"(records: rel {REL_TOL:g}, abs {ABS_TOL:g})")
    for line in changed[:20]:
        print(line)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
