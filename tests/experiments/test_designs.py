"""Sweep designs (Monte Carlo, Latin hypercube, Sobol') and levers crossed with common states of the world."""

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from experiments.checks import assert_one_line
from experiments.checks import write_sweep as write
from helpers import BASELINE
from scipy import stats

from negotiation.experiments.report import report
from negotiation.experiments.robustness import regret_table
from negotiation.experiments.runner import sweep
from negotiation.experiments.sampling import (
    Choice,
    LogUniform,
    Normal,
    Triangular,
    Uniform,
    draw_sample,
    replicate_seed,
)
from negotiation.experiments.sweepfile import sweep_from_dict
from negotiation.scenario_files import load_scenario

BASE = load_scenario(BASELINE)
U = np.linspace(0.0, 1.0, 1001)[1:-1]  # inside the unit interval

SAMPLE = {
    "deal.relief_life_years": {"dist": "uniform", "low": 2.0, "high": 10.0},
    "agents.us.claim_concession_cost_usd_bn": {"dist": "loguniform", "low": 0.01, "high": 100.0},
    "deal.trade_elasticity": {"dist": "normal", "mean": 1.0, "sd": 0.5, "low": 0.0, "high": 2.25},
    "protocol.belief_noise": {"dist": "triangular", "low": 0.0, "mode": 0.1, "high": 0.5},
    "agents.japan.outside_option_share": {"dist": "choice", "values": [0.0, 0.25, 0.5, 0.75]},
}
CDF = {  # each distribution's CDF, from scipy (the oracle the inverse CDFs are checked against)
    "deal.relief_life_years": stats.uniform(2.0, 8.0).cdf,
    "agents.us.claim_concession_cost_usd_bn": stats.loguniform(0.01, 100.0).cdf,
    "deal.trade_elasticity": stats.truncnorm(-2.0, 2.5, loc=1.0, scale=0.5).cdf,
    "protocol.belief_noise": stats.triang(0.2, loc=0.0, scale=0.5).cdf,
}


def planned(design, samples, seed=5, **more):
    return sweep_from_dict({"seed": seed, "samples": samples, "design": design, "sample": SAMPLE, **more}, BASE,
                           max_runs=10**7)


def sample_values(sw, key):
    return np.array([sw.point(k)[key] for k in range(sw.file.samples)])


# --- inverse CDFs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dist, cdf", [
    (Uniform(dist="uniform", low=2.0, high=10.0), stats.uniform(2.0, 8.0).cdf),
    (LogUniform(dist="loguniform", low=0.01, high=100.0), stats.loguniform(0.01, 100.0).cdf),
    (Normal(dist="normal", mean=1.0, sd=0.5, low=0.0, high=2.25), stats.truncnorm(-2.0, 2.5, loc=1, scale=0.5).cdf),
    (Normal(dist="normal", mean=1.0, sd=0.5), stats.norm(1.0, 0.5).cdf),
    (Triangular(dist="triangular", low=0.0, mode=0.1, high=0.5), stats.triang(0.2, loc=0.0, scale=0.5).cdf),
    (Triangular(dist="triangular", low=1.0, mode=1.0, high=3.0), stats.triang(0.0, loc=1.0, scale=2.0).cdf),
])
def test_each_quantile_function_inverts_its_distributions_cdf(dist, cdf):
    x = dist.quantile(U)
    assert np.allclose(cdf(x), U, atol=1e-9)
    low, high = dist.support()
    assert (x >= low).all() and (x <= high).all() and np.all(np.diff(x) >= 0)


def test_a_choice_bins_the_unit_interval_into_equal_parts():
    choice = Choice(dist="choice", values=["a", "b", "c"])
    assert choice.quantile(np.array([0.0, 0.33, 0.34, 0.66, 0.67, 0.999999])).tolist() == [0, 0, 1, 1, 2, 2]
    assert np.bincount(choice.quantile(U)).tolist() == [333, 333, 333]


# --- the designs ----------------------------------------------------------------------------------------

def test_latin_hypercube_puts_one_sample_in_each_of_n_equally_likely_strata_of_every_key():
    sw = planned("lhs", 50)
    for key, cdf in CDF.items():
        strata = np.floor(cdf(sample_values(sw, key)) * 50 + 1e-9).astype(int)
        assert sorted(strata.tolist()) == list(range(50)), key
    picks = [sw.point(k)["agents.japan.outside_option_share"] for k in range(50)]
    assert sorted(np.bincount([int(v * 4) for v in picks]).tolist()) == [12, 12, 13, 13]  # ⌊50/4⌋ or ⌈50/4⌉


def test_sobol_balances_every_key_over_its_dyadic_strata_and_needs_a_power_of_two():
    sw = planned("sobol", 64)
    for key, cdf in CDF.items():
        for m in (2, 8, 64):  # the first 2^k points of a (scrambled) Sobol' sequence are a net: even strata
            counts = np.bincount(np.floor(cdf(sample_values(sw, key)) * m + 1e-9).astype(int), minlength=m)
            assert counts.tolist() == [64 // m] * m, (key, m)
    with pytest.raises(Exception, match=r"samples = 100: design = \"sobol\" needs a power of 2 \(e\.g\. 64 or 128\)"):
        planned("sobol", 100)


def test_a_random_sweep_has_many_empty_strata_so_the_stratification_tests_mean_something():
    sw = planned("random", 50)
    strata = np.floor(CDF["deal.relief_life_years"](sample_values(sw, "deal.relief_life_years")) * 50).astype(int)
    assert len(set(strata.tolist())) < 45


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_a_design_is_a_function_of_the_seed_alone(design):
    a, b, other = planned(design, 16, seed=5), planned(design, 16, seed=5), planned(design, 16, seed=6)
    assert [a.point(k) for k in range(16)] == [b.point(k) for k in range(16)]
    assert [a.point(k) for k in range(16)] != [other.point(k) for k in range(16)]


def test_the_default_design_is_todays_monte_carlo_and_keeps_its_digest():
    data = {"seed": 5, "samples": 6, "sample": SAMPLE, "replicates": 2}
    sw = sweep_from_dict(data, BASE)
    assert sw.file.design == "random"
    assert [sw.point(k) for k in range(6)] == [draw_sample(sw.file.sample, 5, k) for k in range(6)]
    old = {"sweep": {k: v for k, v in sw.file.model_dump(mode="json").items() if k not in ("design", "levers")},
           "base": BASE.model_dump(mode="json")}  # what the digest covered before designs and levers existed
    assert sw.digest == hashlib.sha256(json.dumps(old, sort_keys=True, allow_nan=False).encode()).hexdigest()
    assert planned("lhs", 6).digest != planned("random", 6).digest != planned("sobol", 8).digest


def test_a_designs_digest_covers_the_scipy_that_builds_it(monkeypatch):
    import scipy

    before = {design: planned(design, 8).digest for design in ("random", "lhs", "sobol")}
    monkeypatch.setattr(scipy, "__version__", "0.0.0")
    assert planned("random", 8).digest == before["random"]  # NumPy's draws: no SciPy in them
    assert planned("lhs", 8).digest != before["lhs"] and planned("sobol", 8).digest != before["sobol"]


# --- levers: every lever set meets the same states of the world -----------------------------------------------

LEVERS = {"deal.equity_fraction": [0.01, 0.015, 0.02], "deal.two_phase": [True, False]}


def test_every_lever_set_meets_the_same_draws_and_seeds():
    sw = planned("lhs", 5, levers=LEVERS, replicates=2, grid={"deal.threat_rate": [0.2, 0.25]})
    assert sw.n_lever_sets == 6 and sw.n_runs == 2 * 6 * 5 * 2
    assert sw.varied_keys[:3] == ["deal.threat_rate", "deal.equity_fraction", "deal.two_phase"]
    runs = [sw.run_spec(i) for i in range(sw.n_runs)]
    by_state: dict[int, list[dict]] = {}
    for run in runs:
        by_state.setdefault(run["state"], []).append(run)
    assert sorted(by_state) == list(range(2 * 5 * 2))  # grid points × samples × replicates
    for members in by_state.values():
        assert sorted(r["lever_set"] for r in members) == list(range(6))  # each lever set once
        uncertain = [{k: v for k, v in r["overrides"].items() if k not in LEVERS} for r in members]
        assert all(u == uncertain[0] for u in uncertain)  # the same grid point and sample
        assert len({r["seed"] for r in members}) == 1  # the same seed: common random numbers
        assert members[0]["seed"] == replicate_seed(5, members[0]["replicate"])
        levers = [tuple(r["overrides"][k] for k in LEVERS) for r in members]
        assert len(set(levers)) == 6  # and every combination of the levers
    assert sw.lever_set(5) == {"deal.equity_fraction": 0.02, "deal.two_phase": False}


ONE = '[sample]\n"deal.trade_elasticity" = { dist = "uniform", low = 0.0, high = 1.0 }\n'


@pytest.mark.parametrize("body, words", [
    (f'design = "halton"\nsamples = 4\n{ONE}', "design"),
    (f'design = "sobol"\nsamples = 200\n{ONE}', 'samples = 200: design = "sobol" needs a power of 2 (e.g. 128 or 256)'),
    ('design = "lhs"\n', "needs a [sample] table"),
    ('[levers]\n"deal.equity_fraction" = []\n', "levers: 'deal.equity_fraction' has no values"),
    ('[levers]\n"deal.two_phase" = [true, 1]\n', "mix"),
    ('[levers]\n"deal.equity_fraction" = [2.0]\n', "equity_fraction"),
    ('[levers]\n"deal.not_a_key" = [1]\n', "unknown key"),
    ('[levers]\n"deal.equity_fraction" = [0.01]\n[grid]\n"deal.equity_fraction" = [0.02]\n', "both in [levers]"),
    ('samples = 2\n[levers]\n"deal.trade_elasticity" = [0.5]\n'
     '[sample]\n"deal.trade_elasticity" = { dist = "uniform", low = 0.0, high = 1.0 }\n', "both in [levers]"),
])
def test_a_bad_design_or_lever_is_one_line_and_exit_2_before_any_run(cli, tmp_path, body, words):
    out = tmp_path / "out"
    outcome = cli("sweep", write(tmp_path, body), "--workers", "1", "--out", out, "--quiet", memory=True)
    assert_one_line(outcome, 2, words)
    assert not out.exists()


LEVER_SWEEP = """seed = 8
samples = 4
design = "lhs"
[levers]
"deal.equity_fraction" = [0.01, 0.02]
"deal.two_phase" = [true, false]
[sample]
"deal.relief_life_years" = { dist = "uniform", low = 2.0, high = 10.0 }
"protocol.belief_noise" = { dist = "triangular", low = 0.0, mode = 0.1, high = 0.5 }
"""


@pytest.fixture(scope="module")
def levered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("levers")
    path = write(folder, LEVER_SWEEP)
    return path, folder / "one", sweep(path, folder / "one", workers=1, progress=False)


@pytest.mark.slow  # starts a process pool
def test_a_lever_sweep_gives_the_same_rows_on_two_workers(levered, tmp_path):
    path, _, frame = levered
    assert frame["lever_set"].nunique() == 4 and frame["state"].nunique() == 4
    assert list(frame.columns[:6]) == ["run_id", "point", "replicate", "seed", "lever_set", "state"]
    pd.testing.assert_frame_equal(frame, sweep(path, tmp_path / "two", workers=2, progress=False))


def test_the_report_adds_a_regret_table_per_lever_set(levered):
    _, folder, frame = levered
    page = report(folder).read_text()
    assert "## Robustness of the levers" in page and "max regret" in page
    table = pd.read_csv(folder / "robustness.csv")
    assert len(table) == 4 and list(table.columns[:2]) == ["deal.equity_fraction", "deal.two_phase"]
    for column in ("utility_us", "utility_japan", "agreed"):
        y = frame.pivot(index="state", columns="lever_set", values=column).astype(float)
        assert table[f"{column} mean"].to_numpy() == pytest.approx(y.mean().to_numpy())
        assert table[f"{column} max regret"].to_numpy() == pytest.approx((y.max(axis=1).to_numpy()[:, None]
                                                                           - y.to_numpy()).max(axis=0))
        assert (table[f"{column} max regret"] >= 0).all()
    meta = json.loads(pq.read_schema(folder / "runs.parquet").metadata[b"chipdeal"])
    assert meta["levers"] == ["deal.equity_fraction", "deal.two_phase"] and meta["design"] == "lhs"


def test_regret_mean_and_tenth_percentile_have_their_closed_forms():
    # three states; lever set 0 is best in states 0 and 1, lever set 1 in state 2; state 3 raised somewhere
    rows = [(0, 0, 5.0), (0, 1, 4.0), (0, 2, 1.0), (0, 3, 9.0),
            (1, 0, 3.0), (1, 1, 4.0), (1, 2, 2.5), (1, 3, 0.0)]
    frame = pd.DataFrame([{"lever_set": lv, "state": st, "utility_us": y, "agreed": y > 2,
                           "lever": [0.1, 0.2][lv], "error": "boom" if (lv, st) == (1, 3) else ""}
                          for lv, st, y in rows])
    table, n_states, n_failed = regret_table(frame, ["lever"], ["utility_us", "agreed"])
    assert (n_states, n_failed) == (3, 1)  # the state where a run raised is left out for both
    assert table["lever"].tolist() == [0.1, 0.2]
    assert table["utility_us mean"].tolist() == pytest.approx([10 / 3, 9.5 / 3])
    # 10th percentile of three values a ≤ b ≤ c, linear between order statistics: a + 0.2·(b − a)
    assert table["utility_us p10"].tolist() == pytest.approx([1.0 + 0.2 * 3.0, 2.5 + 0.2 * 0.5])
    assert table["utility_us max regret"].tolist() == pytest.approx([1.5, 2.0])  # state 2; state 0
    assert table["agreed mean"].tolist() == pytest.approx([2 / 3, 1.0])  # agreement when y > 2
    assert table["agreed max regret"].tolist() == pytest.approx([1.0, 0.0])  # state 2 agrees only under set 1
    assert math.isclose(table["agreed p10"][0], 0.2 * 1.0)  # 0 ≤ 1 ≤ 1


# --- a truncated normal whose window holds almost nothing ----------------------------------------------------

@pytest.mark.parametrize("window", [(2.75, 5.0), (3.7, 5.0), (40.0, 41.0)])  # 0.3%, 0.01% and ~0 of the mass
def test_a_random_draw_from_a_nearly_empty_window_is_the_truncated_normal_never_an_error(window):
    a, b = window
    dist = Normal(dist="normal", mean=0.0, sd=1.0, low=a, high=b)
    rng = np.random.default_rng(7)
    values = np.array([dist.draw(rng) for _ in range(400)])
    assert ((values >= a) & (values <= b)).all()
    assert stats.kstest(values, stats.truncnorm(a, b).cdf).pvalue > 1e-3  # the same law as design = "sobol" maps


def test_a_sweep_over_a_nearly_empty_window_runs_to_the_end_like_its_sobol_twin(cli, tmp_path):
    # 2.75 sd out: a draw missed 1,000 times in a row one sample in 20, and raised mid-sweep (exit 1)
    # (16 draws each, on a 12-round window to keep the fresh points cheap; the sampler's own test above takes 400)
    for design, samples in (("random", 16), ("sobol", 16)):
        body = (f'samples = {samples}\ndesign = "{design}"\n[grid]\n"deal.horizon_years" = [0.5]\n[sample]\n'
                f'"agents.japan.outside_option_share" = '
                f'{{ dist = "normal", mean = 0.2, sd = 0.05, low = 0.3375, high = 0.5 }}\n')
        out = tmp_path / design
        outcome = cli("sweep", write(tmp_path, body, f"{design}.toml"), "--workers", "1", "--out", out, "--quiet")
        assert outcome.code == 0 and "Traceback" not in outcome.err, outcome
        values = pd.read_parquet(out / "runs.parquet")["agents.japan.outside_option_share"]
        assert len(values) == samples and values.between(0.3375, 0.5).all()
