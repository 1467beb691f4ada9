"""chipdeal discover: the built-in PRIM recovers a known box; the condition parser refuses what is not one."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from experiments.checks import assert_one_line

from negotiation.experiments.discover import (
    Box,
    DiscoverError,
    box_stats,
    check_trajectory,
    choose,
    condition,
    discover,
    paste,
    prim,
)


def known_box(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    y = (x[:, 0] >= 0.2) & (x[:, 0] <= 0.6) & (x[:, 1] >= 0.5) & (x[:, 1] <= 0.9)
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_builtin_prim_recovers_a_known_box(seed):
    x, y = known_box(seed=seed)
    trajectory = prim(x, y)
    check_trajectory(x, y, trajectory)
    box = paste(x, y, trajectory[choose(trajectory, 0.8)].box)
    assert box.low[:2] == pytest.approx([0.2, 0.5], abs=0.05)
    assert box.high[:2] == pytest.approx([0.6, 0.9], abs=0.05)
    assert box.low[2] < 0.05 and box.high[2] > 0.95  # the third input does not matter: left unrestricted
    coverage, density, _ = box_stats(x, y, box)
    assert coverage > 0.9 and density >= 0.8  # the chosen box: the most coverage at the threshold density


def test_the_peeling_trajectory_trades_coverage_for_density():
    x, y = known_box()
    trajectory = prim(x, y)
    assert trajectory[0].coverage == 1.0 and trajectory[0].density == pytest.approx(y.mean())
    assert trajectory[-1].density > 0.9
    coverage = [s.coverage for s in trajectory]
    assert all(b <= a for a, b in zip(coverage, coverage[1:], strict=False))  # a smaller box covers no more
    mass = [s.mass for s in trajectory]
    assert mass[1] == pytest.approx(0.95, abs=0.01)  # each peel removes about alpha of the box


def test_the_checker_catches_a_wrong_trajectory():
    x, y = known_box()
    trajectory = prim(x, y)
    wrong = list(trajectory)
    wrong[3] = type(wrong[3])(wrong[3].box, wrong[3].coverage, wrong[3].density + 0.1, wrong[3].mass, 0)
    with pytest.raises(AssertionError, match="step 3"):
        check_trajectory(x, y, wrong)
    swapped = [trajectory[0], trajectory[2], trajectory[1]]
    with pytest.raises(AssertionError):
        check_trajectory(x, y, swapped)


def test_ties_are_peeled_together():
    x = np.array([[0.0]] * 50 + [[1.0]] * 50)
    y = np.array([False] * 50 + [True] * 50)
    trajectory = prim(x, y, mass_min=0.1)
    check_trajectory(x, y, trajectory, mass_min=0.1)
    assert trajectory[-1].density == 1.0 and trajectory[-1].box.low[0] == 1.0


FRAME = pd.DataFrame({"agreed": [True, True, False, True], "agreed_tariff_rate": [0.15, 0.2, None, 0.13],
                      "deal.x": [1.0, 2.0, 3.0, 4.0], "outcome": ["agreement", "agreement", "breakdown", "agreement"]})


@pytest.mark.parametrize("expr,expected", [
    ("agreed and agreed_tariff_rate <= 0.175 and agreed_tariff_rate >= 0.125", [True, False, False, True]),
    ("0.125 <= agreed_tariff_rate <= 0.175", [True, False, False, True]),
    ("not agreed", [False, False, True, False]),
    ("deal.x * 2 > 5 or outcome == 'breakdown'", [False, False, True, True]),
    ("`deal.x` != 2", [True, False, True, True]),
    ("agreed_tariff_rate > -1", [True, True, False, True]),  # a missing value satisfies no comparison
])
def test_condition(expr, expected):
    assert condition(expr, FRAME).tolist() == expected


@pytest.mark.parametrize("expr,word", [
    ("__import__('os').system('true')", "not allowed"),
    ("agreed.__class__", "no column"),
    ("open('x')", "not allowed"),
    ("agreed_tarif_rate < 1", "did you mean agreed_tariff_rate"),
    ("deal.x", "must be a condition"),
    ("agreed and", "not a condition"),
    ("[x for x in agreed]", "not allowed"),
    ("deal.x ** 2 > 1", "not allowed"),
    ("deal.x and agreed", "conditions on both sides"),
    ("lambda: 1", "not allowed"),
    ("`deal.x > 1", "backtick"),
])
def test_condition_refuses_what_is_not_a_condition(expr, word):
    with pytest.raises(DiscoverError, match=word):
        condition(expr, FRAME)


def fake_sweep(folder, n=600, seed=4):
    """A folder shaped like a sweep's: runs.parquet with the columns a report reads, and its provenance."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    tariff = 0.1 + 0.15 * x[:, 0]
    frame = pd.DataFrame({"run_id": np.arange(n), "deal.a": x[:, 0], "deal.b": x[:, 1], "deal.c": x[:, 2],
                          "agreed": np.ones(n, dtype=bool), "outcome": "agreement", "steps": 8,
                          "us_share_before_recoup": 0.5, "us_profit_share": 0.9, "tariff_rate_autos": tariff,
                          "tariff_rate_other": 0.1, "tariff_relief_usd_bn_per_year": 15.0,
                          "agreed_tariff_rate": 0.1 + 0.34 * (tariff - 0.1), "concession_loss_usd_bn": 0.3 * x[:, 1],
                          "error": ""})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {"varied_keys": ["deal.a", "deal.b", "deal.c"]}
    table = table.replace_schema_metadata({**table.schema.metadata, b"chipdeal": json.dumps(meta).encode()})
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "runs.parquet")
    return frame


def test_discover_on_a_sweep_folder_writes_the_page_and_the_plot(tmp_path):
    frame = fake_sweep(tmp_path / "sweep")
    where = "agreed and 0.125 <= tariff_rate_autos <= 0.175 and concession_loss_usd_bn <= 0.204"
    d = discover(tmp_path / "sweep", where, prim="builtin")
    truth = (frame["deal.a"].between(1 / 6, 0.5)) & (frame["deal.b"] <= 0.68)
    assert d.n_interest == int(truth.sum())
    assert d.box.low[0] == pytest.approx(1 / 6, abs=0.05) and d.box.high[0] == pytest.approx(0.5, abs=0.05)
    assert d.box.high[1] == pytest.approx(0.68, abs=0.05)
    page = (tmp_path / "sweep" / "discover.md").read_text()
    assert "## The chosen box" in page and "## Peeling trajectory" in page and "`deal.a`" in page
    assert (tmp_path / "sweep" / "discover.png").stat().st_size > 10_000
    if d.scores is not None:  # CART where scikit-learn is installed
        assert set(d.scores["input"].head(2)) == {"deal.a", "deal.b"}


def test_discover_with_the_ema_workbench_finds_the_same_box(tmp_path):
    pytest.importorskip("ema_workbench")
    fake_sweep(tmp_path / "sweep")
    where = "0.125 <= tariff_rate_autos <= 0.175 and concession_loss_usd_bn <= 0.204"
    ours = discover(tmp_path / "sweep", where, prim="builtin")
    ema = discover(tmp_path / "sweep", where, prim="ema", out=tmp_path / "ema")
    assert ema.method.startswith("the EMA")
    assert ema.box.low[:2] == pytest.approx(ours.box.low[:2], abs=0.06)
    assert ema.box.high[:2] == pytest.approx(ours.box.high[:2], abs=0.06)


WHERE = "0.125 <= tariff_rate_autos <= 0.175 and concession_loss_usd_bn <= 0.204"


def test_discover_on_the_ema_workbench_from_the_command_line_is_quiet(cli, tmp_path):
    pytest.importorskip("ema_workbench")
    from negotiation.experiments.discover.ema import ema_version

    fake_sweep(tmp_path / "sweep")
    outcome = cli("discover", tmp_path / "sweep", "--where", WHERE, "--prim", "ema", limit_s=120)
    assert outcome.code == 0 and outcome.err == "", outcome.err  # no warnings, no log lines of the workbench
    assert "PRIM (ema)" in outcome.out and ema_version() in (tmp_path / "sweep" / "discover.md").read_text()


class _Broken:
    """A workbench whose PRIM fails, as a release this adapter does not know might."""

    def __init__(self, x, y, peel_alpha, paste_alpha, mass_min):
        raise ValueError("boom")


def test_a_failing_ema_workbench_is_one_line_or_the_built_in_prim(cli, tmp_path, monkeypatch):
    workbench = pytest.importorskip("ema_workbench.analysis.prim")
    monkeypatch.setattr(workbench, "Prim", _Broken)
    fake_sweep(tmp_path / "sweep")
    assert_one_line(cli("discover", tmp_path / "sweep", "--where", WHERE, "--prim", "ema"), 2,
                    "--prim ema: the EMA Workbench", "failed (ValueError: boom)", "--prim builtin", seconds=20.0,
                    mib=256.0)
    outcome = cli("discover", tmp_path / "sweep", "--where", WHERE)  # --prim auto: falls back, and says so
    assert outcome.code == 0 and outcome.err == "" and "PRIM (builtin)" in outcome.out
    page = (tmp_path / "sweep" / "discover.md").read_text()
    assert "failed (ValueError: boom): the built-in PRIM was used instead" in page


def test_without_the_ema_workbench_prim_ema_is_one_line_and_auto_is_the_built_in(cli, tmp_path, monkeypatch):
    from negotiation.experiments.discover import run

    monkeypatch.setattr(run, "ema_installed", lambda: False)
    fake_sweep(tmp_path / "sweep")
    assert_one_line(cli("discover", tmp_path / "sweep", "--where", WHERE, "--prim", "ema"), 2,
                    "needs the EMA Workbench", "chipdeal[discover]", seconds=20.0, mib=256.0)
    outcome = cli("discover", tmp_path / "sweep", "--where", WHERE)
    assert outcome.code == 0 and "PRIM (builtin)" in outcome.out


def test_the_2_5_series_gets_the_threshold_its_prim_wants(tmp_path, monkeypatch):
    workbench = pytest.importorskip("ema_workbench.analysis.prim")
    from negotiation.experiments.discover.ema import ema_prim

    seen = {}
    real = workbench.Prim

    class Prim25(real):  # the 2.5 signature: threshold is a required argument
        def __init__(self, x, y, threshold, peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05):
            seen["threshold"] = threshold
            super().__init__(x, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)

    monkeypatch.setattr(workbench, "Prim", Prim25)
    x, y = known_box()
    steps = ema_prim(pd.DataFrame(x, columns=["a", "b", "c"]), y, 0.8)
    assert seen == {"threshold": 0.8} and len(steps) > 5


@pytest.mark.parametrize("args,word", [
    (["--where", "agreed_tariff_rate > 5"], "no run"),
    (["--where", "agreed"], "every one"),
    (["--where", "import os"], "not a condition"),
    (["--where", "agreed", "--inputs", "deal.zz"], "deal.zz"),
    (["--where", "agreed_tariff_rate < 0.2", "--threshold", "2"], "threshold"),
])
def test_discover_refuses_in_one_line(cli, tmp_path, args, word):
    fake_sweep(tmp_path / "sweep")
    assert_one_line(cli("discover", tmp_path / "sweep", *args), 2, word, seconds=20.0, mib=256.0)


def test_discover_on_a_folder_without_a_sweep_exits_2(cli, tmp_path):
    assert_one_line(cli("discover", tmp_path, "--where", "agreed"), 2, "no runs.parquet", seconds=20.0, mib=256.0)


def test_box_contains_its_ends():
    box = Box(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    assert box.contains(np.array([[0.0, 2.0], [1.0, 1.0], [1.1, 1.0]])).tolist() == [True, True, False]


def test_cart_reports_its_skill_on_runs_it_did_not_see():
    pytest.importorskip("sklearn")
    from negotiation.experiments.discover import cart

    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.uniform(size=(1000, 6)), columns=[f"deal.k{i}" for i in range(6)])
    noise = rng.uniform(size=1000) < 0.2  # labels unrelated to every input
    _, _, trained, held_out = cart(x, noise)
    majority = 1 - noise.mean()
    assert trained > majority and held_out is not None and held_out <= majority + 0.01
    box = ((x["deal.k0"] > 0.3) & (x["deal.k1"] < 0.6)).to_numpy()
    _, _, _, held_out = cart(x, box)
    assert held_out is not None and held_out > 0.97
    _, _, _, held_out = cart(x, np.arange(1000) == 7)  # one run of interest: no fold can hold it out
    assert held_out is None


def test_held_out_figures_expose_a_box_fitted_to_noise_and_keep_a_real_one():
    from negotiation.experiments.discover import held_out

    rng = np.random.default_rng(5)
    keys = [f"deal.k{i}" for i in range(17)]
    x = rng.uniform(size=(1000, 17))
    real = (x[:, 0] >= 0.2) & (x[:, 0] <= 0.6) & (x[:, 1] >= 0.5) & (x[:, 1] <= 0.9)
    h = held_out(x, real, keys, 0.8)
    assert h is not None and h.coverage > 0.85 and h.density > 0.75
    assert h.restricted["deal.k0"] == h.restricted["deal.k1"] == h.folds  # every fold finds the real inputs
    noise = rng.uniform(size=1000) < 0.2  # labels unrelated to every input
    trajectory = prim(x, noise)
    box = paste(x, noise, trajectory[choose(trajectory, 0.5)].box)
    in_sample = box_stats(x, noise, box)[1]
    h = held_out(x, noise, keys, 0.5)
    assert h is not None and h.density < in_sample - 0.1 and h.density < 0.3  # no better than the base rate
    assert held_out(x, np.arange(1000) < 5, keys, 0.8) is None  # too few runs of interest for five folds
