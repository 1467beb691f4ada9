"""Sensitivity analysis: the pipeline recovers known Sobol' indices, settles, refuses bad specs; reports open."""

import math

import numpy as np
import pandas as pd
import pytest
from experiments.checks import SWEEP_HEAD, assert_one_line, short_scenario
from matplotlib.image import imread

from negotiation.experiments.sensitivity import (
    SETTLED_MAX_CONF,
    SensitivitySpec,
    analyse,
    build,
    design,
    morris_indices,
    sobol_with_settling,
)
from negotiation.model import NegotiationModel


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_exact(a=7.0, b=0.1):
    """Closed-form first-order and total indices of the Ishigami function (Ishigami & Homma 1990)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def ishigami_spec(n, method="sobol"):
    return SensitivitySpec(scenario="-", inputs={f"x{i}": (-math.pi, math.pi) for i in (1, 2, 3)}, method=method,
                           n=n, seed=11)


def test_the_pipeline_recovers_ishigamis_sobol_indices_within_their_intervals():
    spec = ishigami_spec(4096)
    x = design(spec)
    table = sobol_with_settling(spec.problem(), ishigami(x), spec.n, seed=1)
    s1, st = ishigami_exact()
    # within the reported 95% interval (with a 1e-2 floor for an index that is exactly 0)
    assert (np.abs(table["S1"] - s1) <= np.maximum(table["S1_conf"], 1e-2)).all(), table
    assert (np.abs(table["ST"] - st) <= np.maximum(table["ST_conf"], 1e-2)).all(), table
    assert table["settled"].all()  # at N = 4096 doubling from 2048 moves nothing beyond its interval


def test_too_small_a_sample_does_not_claim_to_have_settled():
    spec = ishigami_spec(8)
    x = design(spec)
    table = sobol_with_settling(spec.problem(), ishigami(x), spec.n, seed=1)
    wide = table[["S1_conf", "ST_conf"]].max(axis=1) > SETTLED_MAX_CONF
    assert wide.all()  # at N = 8 every interval is wide ...
    assert not table["settled"].any()  # ... so no index is settled, however little it moved from N = 4


def test_morris_ranks_ishigami_inputs_as_theory_says():
    spec = ishigami_spec(200, "morris")
    x = design(spec)
    table = morris_indices(spec.problem(), x, ishigami(x), spec.levels, seed=2)
    mu = dict(zip(table["input"], table["mu_star"], strict=True))
    sigma = dict(zip(table["input"], table["sigma"], strict=True))
    assert mu["x2"] > mu["x3"] and mu["x1"] > mu["x3"]
    assert sigma["x3"] > 0  # x3 acts only through its interaction with x1


def test_breakdowns_are_analysed_apart_not_dropped_or_filled():
    spec = ishigami_spec(64)
    x = design(spec)
    y = ishigami(x)
    agreed = x[:, 0] > -2.0  # pretend breakdown when x1 is low
    outputs = pd.DataFrame({"p_agreement": agreed.astype(float), "us_profit_share": np.where(agreed, y, np.nan),
                            "tariff_relief_usd_bn_per_year": np.where(agreed, 2 * y, np.nan)})
    table, notes = analyse(spec, x, outputs)
    assert set(table.loc[table.output == "p_agreement", "method"]) == {"sobol"}
    p = table[table.output == "p_agreement"].set_index("input")
    assert p.loc["x1", "ST"] > 0.5 and p.loc["x3", "ST"] < 0.05  # agreement depends on x1 only
    assert set(table.loc[table.output == "us_profit_share", "method"]) == {"delta"}
    assert any("never agreed" in n for n in notes)


# --- the model through the CLI -------------------------------------------------------------------------------

SMALL = """n = 8
levels = 4
seed = 2
[inputs]
"deal.equity_fraction" = [0.01, 0.02]
"agents.japan.outside_option_share" = [0.0, 0.4]
"protocol.belief_noise" = [0.0, 0.5]
"""


def write(tmp_path, body, name="spec.toml"):
    path = tmp_path / name
    path.write_text(SWEEP_HEAD + body)
    return path


def assert_png(path):
    assert path.is_file()
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.01  # not blank


@pytest.mark.parametrize("method", ["sobol", "morris", "ofat"])
def test_sensitivity_writes_table_plots_and_summary_and_reports_its_analysis(cli, tmp_path, method):
    spec = tmp_path / "spec.toml"  # on the baseline with a 12-round window: cheaper fresh points
    spec.write_text(f'scenario = "{short_scenario(tmp_path)}"\n{SMALL}')
    out = tmp_path / method
    outcome = cli("sensitivity", spec, "--method", method, "--workers", "1", "--out", out, limit_s=120)
    assert outcome.code == 0, outcome.err[-2000:]
    assert "Traceback" not in outcome.err
    assert "analysing" in outcome.err and "wrote" in outcome.err  # the phase after the runs is said
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == build(spec, method).sweep.n_runs and (runs["error"] == "").all()
    summary = (out / "summary.md").read_text()
    assert outcome.out.strip() == summary.strip()
    if method == "ofat":
        assert_png(out / "ofat.png")
        return
    table = pd.read_csv(out / "indices.csv")
    assert set(table["output"]) == {"p_agreement", "us_share_before_recoup", "us_profit_share", "tariff_rate_autos",
                                    "tariff_rate_other", "agreed_tariff_rate", "tariff_relief_usd_bn_per_year"}
    assert set(table["input"]) == {"deal.equity_fraction", "agents.japan.outside_option_share",
                                   "protocol.belief_noise"}
    assert_png(out / "indices.png")
    assert "US share | agreement" in summary and "tariff on autos | agreement" in summary
    if method == "sobol":
        sobol = table[table["method"] == "sobol"]
        wide = sobol[["S1_conf", "ST_conf"]].max(axis=1) > SETTLED_MAX_CONF
        assert not sobol.loc[wide, "settled"].any()  # N = 8: an index known to ± 0.5 is not "settled"
    if method == "morris":
        assert_png(out / "morris.png")
        assert (table.loc[table["method"] == "morris", "mu_star"] >= 0).all()


@pytest.mark.parametrize("body, words", [
    ('[inputs]\n"deal.not_a_key" = [0, 1]\n', "unknown key"),
    ('[inputs]\n"deal.equity_fraction" = [0.3, 0.1]\n', "empty or inverted"),
    ('[inputs]\n"deal.equity_fraction" = [0.1, 0.1]\n', "empty or inverted"),
    ('[inputs]\n', "inputs"),
    ('n = 100\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "power of 2"),
    ('n = 2.5\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "n"),
    ('[inputs]\n"deal.equity_fraction" = [0.1, 2.0]\n', "equity_fraction"),
    ('[inputs]\n"deal.two_phase" = [0, 1]\n', "bool key, not a continuous number"),
    ('[inputs]\n"protocol.max_rounds" = [10, 40]\n', "int key, not a continuous number"),
    ('[inputs]\n"protocol.information" = [0, 1]\n', "str key, not a continuous number"),
    ('n = 1099511627776\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "--max-runs"),
    ('method = "ofat"\nlevels = 1000000000\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "--max-runs"),
    ('method = "morris"\nn = 1000000000\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "--max-runs"),
    ('replicates = 100000000\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "--max-runs"),
])
def test_a_bad_spec_exits_2_with_one_line_before_any_run(cli, tmp_path, body, words):
    out = tmp_path / "out"
    outcome = cli("sensitivity", write(tmp_path, body), "--out", out, memory=True)
    assert_one_line(outcome, 2, words, seconds=3.0, mib=32.0)
    assert not out.exists()


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/mem", "missing.toml"])
def test_an_odd_spec_path_is_one_line(cli, tmp_path, target):
    assert_one_line(cli("sensitivity", tmp_path / target if target == "missing.toml" else target,
                        "--out", tmp_path / "out"), 2)


def test_runs_that_raised_are_not_analysed(cli, tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(NegotiationModel, "run", broken)
    out = tmp_path / "out"
    outcome = cli("sensitivity", write(tmp_path, SMALL), "--method", "ofat", "--workers", "1", "--out", out,
                  "--quiet")
    assert_one_line(outcome, 1, "runs raised", "none were computed", seconds=60, started=True)
    assert (out / "runs.parquet").is_file() and not (out / "summary.md").exists()


def test_an_output_constant_up_to_float_noise_is_reported_constant_not_given_zero_indices():
    spec = ishigami_spec(64)
    x = design(spec)
    y = ishigami(x)
    noise = np.where(np.arange(len(y)) % 3 == 0, 0.9 + 1e-16, 0.9)  # a share pinned at 0.9, as computed
    outputs = pd.DataFrame({"p_agreement": np.ones(len(y)), "us_profit_share": noise, "agreed_tariff_rate": y,
                            "tariff_relief_usd_bn_per_year": 2 * y})
    table, notes = analyse(spec, x, outputs)
    methods = table.groupby("output")["method"].first()
    assert methods["us_profit_share"] == "constant" and methods["agreed_tariff_rate"] == "sobol"
    assert any("US share" in n and "constant (0.9)" in n for n in notes)
