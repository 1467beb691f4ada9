"""chipdeal calibrate: ABC-SMC recovers a closed-form posterior; bad specs exit 2 in one line; lazy imports."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from experiments.checks import assert_one_line
from helpers import ROOT

from negotiation.experiments.calibrate import (
    BandDistance,
    Prior,
    abc_smc,
    identification,
    weighted_corr,
    weighted_quantile,
)
from negotiation.experiments.report import Pattern

pytest.importorskip("pyabc")


def toy(params, seed):
    """Deterministic: each pattern's column is a function of the parameters (the seed is unused)."""
    return {"agreed": True, "x": params["a"], "y": params["b"], "z": params["a"] + params["c"], "w": params["d"]}


PRIORS = [Prior("a", "uniform", 0.0, 1.0), Prior("b", "loguniform", 0.01, 1.0), Prior("c", "uniform", 0.0, 1.0),
          Prior("d", "uniform", 0.0, 1.0)]
PATTERNS = [Pattern("x in band", "x", 0.3, 0.5, "F", "calibration"),
            Pattern("y in band", "y", 0.1, 0.4, "F", "corroboration"),
            Pattern("a + c in band", "z", 0.9, 1.0, "F", "corroboration"),
            Pattern("d below a half", "w", 0.0, 0.5, "F", "imposed")]


@pytest.fixture(scope="module")
def toy_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy")
    return abc_smc(toy, PRIORS, PATTERNS, PATTERNS[:3], out, population=250, generations=12, seed=3, progress=False)


def test_the_posterior_of_band_patterns_is_the_prior_inside_the_bands(toy_result):
    """Uniform priors and band patterns: the posterior is the prior restricted to the bands (closed form).

    a ~ U(0.3, 0.5); b log-uniform on (0.1, 0.4); c | a ~ U(0.9 − a, 1 − a), so c = 0.95 − a + U(−0.05, 0.05);
    d untouched, U(0, 1).
    """
    post, w = toy_result.posterior, toy_result.posterior["weight"].to_numpy()
    assert toy_result.generations["epsilon"].iloc[-1] == 0.0  # the schedule reached the bands themselves
    a, b, c, d = (post[k].to_numpy() for k in "abcd")
    assert np.all((a >= 0.3) & (a <= 0.5) & (b >= 0.1) & (b <= 0.4) & (a + c >= 0.9) & (a + c <= 1.0))
    assert np.average(a, weights=w) == pytest.approx(0.4, abs=0.015)
    lo, hi = weighted_quantile(a, w, [0.05, 0.95])
    assert (lo, hi) == pytest.approx((0.31, 0.49), abs=0.02)
    b_mean = 0.3 / math.log(4)  # density 1 / (b ln 4) on [0.1, 0.4]
    assert np.average(b, weights=w) == pytest.approx(b_mean, abs=0.02)
    lo, hi = weighted_quantile(b, w, [0.05, 0.95])
    assert (lo, hi) == pytest.approx((0.1 * 4**0.05, 0.1 * 4**0.95), abs=0.025)
    assert np.average(c, weights=w) == pytest.approx(0.55, abs=0.02)
    rho = -math.sqrt(0.04 / 0.05)  # corr(a, c): var a = 0.04/12, var c = (0.04 + 0.01)/12
    assert weighted_corr(a, c, w) == pytest.approx(rho, abs=0.06)
    assert np.average(d, weights=w) == pytest.approx(0.5, abs=0.05)


def test_identification_and_predictive_say_what_the_closed_form_says(toy_result):
    rows = {r["key"]: r for r in toy_result.identification.rows}
    assert rows["a"]["width_ratio"] == pytest.approx(0.18 / 0.9, abs=0.04) and rows["a"]["verdict"] == "pinned"
    assert rows["b"]["width_ratio"] == pytest.approx(0.9 * math.log(4) / (0.9 * math.log(100)), abs=0.05)
    assert rows["d"]["verdict"] == "not identified"
    ridges = {(x, y) for x, y, _ in toy_result.identification.ridges}
    assert ("a", "c") in ridges
    pred = {r["column"]: r for r in toy_result.predictive}
    for column in "xyz":  # fitted: a deterministic model reproduces them on every posterior draw
        assert pred[column]["role"] == "fitted" and pred[column]["posterior_match"] == pytest.approx(1.0)
    assert pred["w"]["role"] == "predicted"
    assert pred["w"]["posterior_match"] == pytest.approx(0.5, abs=0.08)  # d is untouched: P(d <= 0.5) = 1/2
    assert pred["x"]["prior_match"] == pytest.approx(0.2, abs=0.08)
    for name in ("posterior.parquet", "prior_predictive.parquet", "posterior_predictive.parquet", "corner.png",
                 "abc.db"):
        assert (toy_result.out / name).stat().st_size > 0
    stored = pd.read_parquet(toy_result.out / "posterior.parquet")
    assert sorted(stored["generation"].unique()) == list(range(1, len(toy_result.generations) + 1))
    assert stored.groupby("generation")["weight"].sum().to_numpy() == pytest.approx(1.0)


def test_the_same_seed_gives_the_same_posterior(tmp_path, toy_result):
    again = abc_smc(toy, PRIORS, PATTERNS, PATTERNS[:3], tmp_path, population=250, generations=12, seed=3,
                    progress=False)
    pd.testing.assert_frame_equal(again.posterior, toy_result.posterior)


def test_band_distance_is_zero_inside_and_squared_band_widths_outside():
    d = BandDistance((Pattern("p", "x", 1.0, 3.0, "F"), Pattern("q", "y", 0.0, 1.0, "F")))
    assert d({"agreed": 1.0, "x": 2.0, "y": 0.5}, {}) == 0.0
    assert d({"agreed": 1.0, "x": 5.0, "y": -0.5}, {}) == pytest.approx(1.0 + 0.25)
    assert d({"agreed": 0.0, "x": 2.0, "y": 0.5}, {}) == pytest.approx(200.0)  # no agreement: no pattern


def test_identification_width_ratio_is_one_for_a_posterior_that_is_the_prior():
    rng = np.random.default_rng(0)
    priors = [Prior("u", "uniform", 2.0, 4.0), Prior("v", "loguniform", 0.1, 10.0)]
    post = pd.DataFrame({"u": rng.uniform(2, 4, 20_000), "v": np.exp(rng.uniform(np.log(0.1), np.log(10), 20_000))})
    ident = identification(priors, post, np.ones(len(post)))
    assert [r["width_ratio"] for r in ident.rows] == pytest.approx([1.0, 1.0], abs=0.02)
    assert not ident.ridges


def test_a_pattern_column_that_no_draw_has_counts_as_never_reproduced():
    # a run without agreement has no agreed rate on a group of goods: if no draw agreed, the column is absent
    from negotiation.experiments.calibrate.stats import predictive_table

    cars = Pattern("cars", "tariff_rate_autos", 0.125, 0.175, "FACTS: autos-rate")
    frame = pd.DataFrame({"weight": [0.5, 0.5], "agreed": [False, False], "steps": [4.0, 4.0]})
    rows = predictive_table([cars], [cars], {"prior": frame, "posterior": frame})
    assert [r["prior_match"] for r in rows] == [0.0, 0.0] and "prior_median" not in rows[0]


def test_the_baseline_calibration_is_reproducible_on_any_number_of_workers(tmp_path):
    """A few particles of the real spec (a shorter window): in-process and on two local workers, the same posterior."""
    from experiments.checks import quick_calibration

    from negotiation.experiments.calibrate import calibrate

    spec = quick_calibration(tmp_path / "spec")
    one = calibrate(spec, tmp_path / "one", workers=1, progress=False, population=10, generations=2)
    two = calibrate(spec, tmp_path / "two", workers=2, progress=False, population=10, generations=2)
    pd.testing.assert_frame_equal(one.posterior, two.posterior)
    assert (tmp_path / "one" / "identification.md").read_text().startswith("# Identification")
    predicted = pd.read_parquet(tmp_path / "one" / "posterior_predictive.parquet")
    assert {"us_share_before_recoup", "us_profit_share", "tariff_rate_autos", "steps", "agreed_tariff_rate",
            "concession_loss_usd_bn"} <= set(predicted.columns)  # every pattern of runs/patterns.toml


BAD = [
    ('scenario = "../baseline.toml"\n[prior]\n"deal.nonsense" = { dist = "uniform", low = 0, high = 1 }\n',
     "deal.nonsense"),
    ('scenario = "../baseline.toml"\n[prior]\n"deal.relief_life_years" = { dist = "uniform", low = 3, high = 2 }\n',
     "must exceed"),
    ('scenario = "../baseline.toml"\npopulation = 5\n[prior]\n'
     '"deal.relief_life_years" = { dist = "uniform", low = 2, high = 3 }\n', "population"),
    ('scenario = "../baseline.toml"\nfit = ["no_such_column"]\n[prior]\n'
     '"deal.relief_life_years" = { dist = "uniform", low = 2, high = 3 }\n', "no_such_column"),
    ('scenario = "../baseline.toml"\n[prior]\n"deal.equity_fraction" = { dist = "uniform", low = 0.5, high = 1.5 }\n',
     "equity_fraction"),
    ('scenario = "../nowhere.toml"\n[prior]\n"deal.relief_life_years" = { dist = "uniform", low = 2, high = 3 }\n',
     "not found"),
    ("this is not toml", "calibration"),
]


@pytest.mark.parametrize("text,word", BAD)
def test_a_bad_spec_exits_2_in_one_line_before_any_run(cli, tmp_path, text, word):
    folder = tmp_path / "calibration"
    folder.mkdir()
    (tmp_path / "baseline.toml").write_text((ROOT / "runs" / "baseline.toml").read_text())
    (tmp_path / "patterns.toml").write_text((ROOT / "runs" / "patterns.toml").read_text())
    spec = folder / "bad.toml"
    spec.write_text(text)
    outcome = cli("calibrate", spec, "--out", tmp_path / "out", "--workers", "1", limit_s=60)
    assert_one_line(outcome, 2, word if word != "calibration" else "bad.toml", seconds=20.0, mib=256.0)
    assert not (tmp_path / "out" / "abc.db").exists()


def test_an_out_of_range_option_is_named_as_typed_not_as_the_file(tmp_path):
    from negotiation.experiments.calibrate import CalibrationError, load_calibration

    spec = ROOT / "runs" / "calibration" / "baseline.toml"
    with pytest.raises(CalibrationError) as err:
        load_calibration(spec, population=10**9)
    assert str(err.value).startswith("--population 1000000000: ")


def test_help_loads_neither_pyabc_nor_the_discovery_libraries():
    probe = ("import contextlib, io, json, sys\nfrom negotiation.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    p = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    modules = set(json.loads(p.stdout))
    assert not modules & {"pyabc", "sklearn", "ema_workbench", "matplotlib", "pandas", "mesa"}


def test_a_combination_fixed_by_a_pattern_shows_though_every_marginal_stays_at_its_prior():
    from negotiation.experiments.calibrate import Prior, identification, identification_lines

    rng = np.random.default_rng(2)
    keys = ["deal.a", "deal.b", "deal.c", "deal.d"]
    u = rng.uniform(size=(200_000, 4))
    kept = u[np.abs(u.sum(axis=1) - 2.0) < 0.05][:3000]  # the referee's toy: a band on a + b + c + d
    priors = [Prior(k, "uniform", 0.0, 1.0) for k in keys]
    ident = identification(priors, pd.DataFrame(kept, columns=keys), np.ones(len(kept)))
    assert all(r["verdict"] == "not identified" for r in ident.rows)  # each marginal: about its prior
    narrowest = ident.axes[0]
    assert narrowest["verdict"] == "pinned" and narrowest["sd_ratio"] < 0.1
    assert [abs(v) for _, v in narrowest["loadings"]] == pytest.approx([0.5] * 4, abs=0.02)  # the sum's direction
    assert ident.noise_sd_ratio is not None and ident.noise_sd_ratio > 0.9
    assert any(line.startswith("| 1 | 0.0") and "pinned" in line for line in identification_lines(ident))
