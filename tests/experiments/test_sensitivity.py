"""Sensitivity analysis: the pipeline recovers known Sobol' indices, settles, refuses bad specs; reports open."""

import math

import numpy as np
import pandas as pd
import pytest
from helpers import BASELINE, chipdeal, write_batch_file
from matplotlib.image import imread

from negotiation.experiments.sensitivity import (
    SensitivitySpec,
    analyse,
    build,
    design,
    morris_indices,
    sobol_with_settling,
)


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
    s1, _ = ishigami_exact()
    assert not (table["settled"].all() and np.allclose(table["S1"], s1, atol=0.02))


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
"deal.project_cash_yield_per_year" = [0.22, 0.35]
"agents.jbic.required_margin_per_year" = [0.0, 0.008]
"agents.us.relief_cost_weight" = [0.2, 1.5]
"""


def assert_png(path):
    assert path.is_file()
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.01  # not blank


@pytest.mark.parametrize("method", ["sobol", "morris", "ofat"])
def test_sensitivity_cli_writes_table_plots_and_summary(tmp_path, method):
    spec = write_batch_file(tmp_path, SMALL)
    out = tmp_path / method
    p = chipdeal("sensitivity", str(spec), "--method", method, "--workers", "1", "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Traceback" not in p.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == build(spec, method).sweep.n_runs
    summary = (out / "summary.md").read_text()
    if method == "ofat":
        assert_png(out / "ofat.png")
        return
    table = pd.read_csv(out / "indices.csv")
    assert set(table["output"]) == {"p_agreement", "us_profit_share", "tariff_relief_usd_bn_per_year"}
    assert_png(out / "indices.png")
    assert "US share | agreement" in summary
    if method == "morris":
        assert_png(out / "morris.png")
        relief = table[(table.output == "tariff_relief_usd_bn_per_year") & (table.method == "morris")]
        relief = relief.set_index("input")["mu_star"]
        # what the US loses per $ of relief granted decides how much relief it grants
        assert relief.idxmax() == "agents.us.relief_cost_weight"


@pytest.mark.parametrize("body, words", [
    ('[inputs]\n"deal.not_a_key" = [0, 1]\n', "unknown key"),
    ('[inputs]\n"deal.equity_fraction" = [0.3, 0.1]\n', "empty or inverted"),
    ('[inputs]\n"deal.equity_fraction" = [0.1, 0.1]\n', "empty or inverted"),
    ('[inputs]\n', "inputs"),
    ('n = 100\n[inputs]\n"deal.equity_fraction" = [0.1, 0.2]\n', "power of 2"),
    ('[inputs]\n"deal.equity_fraction" = [0.1, 2.0]\n', "equity_fraction"),
])
def test_a_bad_spec_exits_2_with_one_line_before_any_run(tmp_path, body, words):
    spec = write_batch_file(tmp_path, body)
    p = chipdeal("sensitivity", str(spec), "--out", str(tmp_path / "out"))
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and words in lines[0], p.stderr
    assert not (tmp_path / "out").exists()


def test_report_writes_plots_and_a_page_for_a_sweep(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'scenario = "{BASELINE}"\nreplicates = 2\nseed = 1\n[grid]\n'
                     '"deal.equity_fraction" = [0.05, 0.12, 0.2]\n'
                     '"protocol.information" = ["complete", "incomplete"]\n')
    assert chipdeal("sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet").returncode == 0
    p = chipdeal("report", str(tmp_path / "out"))
    assert p.returncode == 0, p.stderr
    page = (tmp_path / "out" / "report.md").read_text()
    assert "12 runs" in page and "deal.equity_fraction" in page
    assert "Runs that reproduce the observed patterns (`patterns.toml`)" in page  # the shipped patterns
    assert_png(tmp_path / "out" / "distributions.png")
    assert_png(tmp_path / "out" / "against_inputs.png")


def test_report_on_a_folder_without_runs_exits_2(tmp_path):
    p = chipdeal("report", str(tmp_path))
    assert p.returncode == 2 and "runs.parquet" in p.stderr and "Traceback" not in p.stderr


# --- pattern-oriented filtering (chipdeal report, runs/patterns.toml) -----------------------------------------

def test_the_shipped_patterns_name_their_sources():
    from negotiation.experiments.report import default_patterns_path, load_patterns

    patterns = load_patterns(default_patterns_path())
    assert len(patterns) >= 2
    assert all(p.source.startswith("FACTS") and p.low <= p.high for p in patterns)


def test_pattern_filter_counts_each_pattern_and_their_intersection():
    from negotiation.experiments.report import Pattern, pattern_lines

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"agreed": rng.random(400) < 0.9, "us_profit_share": rng.random(400),
                          "relief_fraction": rng.random(400), "deal.x": rng.random(400)})
    split = Pattern("split", "us_profit_share", 0.5, 1.0, "FACTS: a")
    relief = Pattern("relief", "relief_fraction", 0.0, 0.5, "FACTS: b")
    both = frame["agreed"] & frame["us_profit_share"].between(0.5, 1.0) & frame["relief_fraction"].between(0.0, 0.5)
    text = "\n".join(pattern_lines(frame, ["deal.x"], [split, relief], "p.toml"))
    assert f"| {int(split.matches(frame).sum())} of 400 |" in text
    assert f"**{int(both.sum())} of 400**" in text
    assert not split.matches(frame[~frame["agreed"]]).any()  # a run without agreement reproduces nothing
    x = frame.loc[both, "deal.x"]
    assert f"| deal.x | {frame['deal.x'].median():.3g} (" in text and f"| {x.median():.3g} (" in text
    never = Pattern("never", "relief_fraction", 2.0, 3.0, "FACTS: c")
    assert "No run reproduces all the patterns" in "\n".join(pattern_lines(frame, ["deal.x"], [never], "p.toml"))


@pytest.mark.parametrize(("text", "words"), [
    ("", "one or more [[pattern]]"),
    ('[[pattern]]\nname = "a"\ncolumn = "c"\nlow = 1\nhigh = 0\nsource = "s"\n', "low must not exceed high"),
    ('[[pattern]]\nname = "a"\ncolumn = "c"\nlow = 0\nsource = "s"\n', "high is required"),
    ('[[pattern]]\nname = "a"\ncolumn = "c"\nlow = 0\nhigh = 1\nsource = "s"\nhgih = 2\n', "hgih: unknown key"),
    ("[[pattern]\n", "pattern"),
])
def test_a_bad_patterns_file_exits_2_with_one_line(tmp_path, text, words):
    sweep = write_batch_file(tmp_path, "replicates = 1\n")
    assert chipdeal("sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet").returncode == 0
    bad = tmp_path / "patterns.toml"
    bad.write_text(text)
    p = chipdeal("report", str(tmp_path / "out"), "--patterns", str(bad))
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and words in lines[0] and "Traceback" not in p.stderr, p.stderr
