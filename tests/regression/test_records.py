"""Every shipped scenario × 20 seeds replays its stored path exactly and its numbers to a tolerance, on any CPU.

The comparison itself is tested too: a last-ulp difference must pass it and any visible change must fail it
with the scenario, seed, round, field and both values; and the records must hold with NumPy's wider SIMD
kernels switched off (``NPY_DISABLE_CPU_FEATURES``), which round ``exp`` and ``expm1`` differently.
"""

import copy
import math
import os
import subprocess
import sys

import pytest
from regression.records import (
    ABS_TOL,
    RECORDS,
    REL_TOL,
    ROOT,
    compare,
    current_records,
    first_difference,
    floats_agree,
    load,
    records_file,
    scenario_files,
    scenario_key,
)

BASELINE = ROOT / "runs" / "baseline.toml"


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_seed_replays_its_stored_path_and_numbers(path):
    problems = compare(path, load(path), current_records(path))
    assert not problems, (f"{len(problems)} seeds moved; the first: {problems[0]}\n" + "\n".join(problems[1:])
                          + "\n(an intended change: scripts/update_regression.py, and say why in the commit)")


def test_every_records_file_belongs_to_a_scenario_file_and_holds_seeds_0_to_19():
    wanted = {records_file(p): p for p in scenario_files()}
    stored = set(RECORDS.rglob("*.json"))
    assert stored == set(wanted), f"records without a scenario file: {sorted(stored - set(wanted))}"
    for file, path in wanted.items():
        data = load(path)
        assert data["scenario"] == scenario_key(path)
        assert [r["seed"] for r in data["runs"]] == list(range(20)), file


# --- the comparison: blind to the last bits, never to a change --------------------------------------------

@pytest.fixture(scope="module")
def stored():
    return load(BASELINE)["runs"]


def nudge(value, ulps):
    for _ in range(abs(ulps)):
        value = math.nextafter(value, math.inf if ulps > 0 else -math.inf)
    return value


def every_float(record, change):
    """A copy of ``record`` with ``change`` applied to every float in it (the path left alone)."""
    if isinstance(record, dict):
        return {k: every_float(v, change) for k, v in record.items()}
    if isinstance(record, list):
        return [every_float(v, change) for v in record]
    return change(record) if isinstance(record, float) else record


def floats(record):
    if isinstance(record, dict):
        return [f for v in record.values() for f in floats(v)]
    if isinstance(record, list):
        return [f for v in record for f in floats(v)]
    return [record] if isinstance(record, float) else []


def test_last_ulp_differences_pass_the_comparison(stored):
    for ulps in (1, -1, 4, -4, 64):
        moved = [every_float(r, lambda v, u=ulps: nudge(v, u)) for r in stored]
        assert all(a.hex() != b.hex() for a, b in zip(floats(stored), floats(moved), strict=True))  # all moved
        assert [first_difference(a, b) for a, b in zip(stored, moved, strict=True)] == [None] * len(stored)
    relative = [every_float(r, lambda v: v * (1 + REL_TOL / 10)) for r in stored]
    assert compare(BASELINE, {"runs": stored}, relative) == []


def test_a_number_that_moved_is_reported_with_its_seed_round_field_and_both_values(stored):
    now = copy.deepcopy(stored)
    old = stored[5]["rounds"][2]["tariff_rates"][0]
    now[5]["rounds"][2]["tariff_rates"][0] = old * (1 + 100 * REL_TOL)
    now[7]["utilities"]["jbic"] += 1e-6
    lines = compare(BASELINE, {"runs": stored}, now)
    assert len(lines) == 2
    assert lines[0] == (f"runs/baseline.toml seed 5: round 3 (japan proposes): tariff_rates[0]: stored {old!r}, "
                        f"now {now[5]['rounds'][2]['tariff_rates'][0]!r}")
    assert lines[1].startswith("runs/baseline.toml seed 7: utilities.jbic: stored ")


def test_the_first_round_that_moved_is_reported_before_any_later_number(stored):
    run = next(r for r in stored if len(r["rounds"]) >= 6)  # a seed whose talks last six rounds or more
    now = copy.deepcopy(run)
    now["rounds"][5]["us_profit_share"] = 0.25  # a later round's number …
    now["rounds"][3]["answers"][-1][1] = True  # … and an earlier round's answer
    responder = now["rounds"][3]["answers"][-1][0]
    assert first_difference(run, now) == (f"round 4 (us proposes): answers[2] ({responder}).accepted: "
                                          "stored False, now True")
    now["rounds"][3]["answers"][-1][1] = False
    now["rounds"][3]["answers"][-1][2] = "not funded"
    assert first_difference(run, now).endswith(".reason: stored 'worth less than my next offer', now "
                                               "'not funded'")


def test_a_lost_round_a_new_outcome_or_a_missing_seed_is_reported(stored):
    shorter = copy.deepcopy(stored[1])
    del shorter["rounds"][-1]
    assert first_difference(stored[1], shorter) == (f"rounds: stored {len(stored[1]['rounds'])} offers, now "
                                                    f"{len(stored[1]['rounds']) - 1}")
    broke = copy.deepcopy(stored[1])
    broke["outcome"] = "breakdown"
    assert first_difference(stored[1], broke) == "outcome: stored 'agreement', now 'breakdown'"
    assert compare(BASELINE, {"runs": stored}, stored[:19]) == ["runs/baseline.toml: stored seeds [19] were not run"]
    assert compare(BASELINE, None, stored)[0].startswith("runs/baseline.toml: no stored records")


def test_values_near_zero_are_compared_to_the_absolute_floor():
    assert floats_agree(0.0, ABS_TOL / 2) and floats_agree(2.034002944606428e-05, 2.0340029069920718e-05)
    assert not floats_agree(0.0, 2 * ABS_TOL) and not floats_agree(1.0, 1.0 + 10 * REL_TOL)
    assert floats_agree(math.nan, math.nan) and not floats_agree(math.nan, 0.0)
    assert floats_agree(math.inf, math.inf) and not floats_agree(math.inf, -math.inf)


# --- on another CPU: NumPy's wider kernels switched off, in a subprocess ------------------------------------

def dispatch_targets():
    """NumPy's SIMD dispatch targets that this CPU runs, narrowest first (X86_V3 … AVX512_SPR; ASIMDHP … on ARM)."""
    from numpy._core import _multiarray_umath as umath

    return [t for t in umath.__cpu_dispatch__ if umath.__cpu_features__.get(t)]


@pytest.mark.parametrize("switched_off", ["all but the narrowest", "all"])
def test_the_records_hold_with_numpys_wider_simd_kernels_switched_off(switched_off):
    on = dispatch_targets()
    off = on[1:] if switched_off == "all but the narrowest" else on
    if not off:
        pytest.skip(f"NumPy dispatch targets on here: {', '.join(on) or 'none'} (the CPU lacks the rest, or "
                    "NPY_DISABLE_CPU_FEATURES switched them off): nothing wider to switch off")
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(off)}
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_regression.py"), "--check"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    header = done.stdout.splitlines()[0] if done.stdout else ""
    assert all(f"{t}=off" in header for t in off), f"NumPy did not switch off {off}: {header}\n{done.stderr}"
    assert done.returncode == 0 and "all agree" in done.stdout, done.stdout + done.stderr
