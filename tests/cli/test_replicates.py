"""run --replicates N: every numeric outcome's median, 95% interval and (where bimodal) both modes."""

import json
import statistics

import pytest

import negotiation.model
from negotiation.cli import numeric_outcomes


def run_json(cli, *args):
    code, out, err = cli("run", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_every_numeric_outcome_of_a_run_is_summarised(cli):
    single = run_json(cli, "--seed", 0)
    summary = run_json(cli, "--replicates", 6)
    outcomes = summary["outcomes"]
    assert outcomes["agreed"]["n"] == 6 and 0 <= outcomes["agreed"]["rate"] <= 1
    assert summary["agreed_fraction"] == outcomes["agreed"]["rate"]
    expected = set(numeric_outcomes(single))
    assert {"us_profit_share", "tariff_relief_usd_bn_per_year", "steps"} <= expected <= set(outcomes)
    for key in expected:
        st = outcomes[key]
        assert st["n"] == outcomes["agreed"]["agreed"]
        assert st["p2_5"] - 1e-9 <= st["median"] <= st["p97_5"] + 1e-9, key
    assert summary["us_profit_share_median"] == outcomes["us_profit_share"]["median"]  # the keys scripts use


def test_medians_are_those_of_the_single_runs(cli):
    runs = [run_json(cli, "--seed", seed) for seed in range(3, 8)]
    outcomes = run_json(cli, "--seed", 3, "--replicates", 5)["outcomes"]
    agreed = [r for r in runs if r["agreed"]]
    assert outcomes["agreed"]["agreed"] == len(agreed)
    for key in ("us_profit_share", "tariff_relief_usd_bn_per_year"):
        assert outcomes[key]["median"] == pytest.approx(statistics.median(r[key] for r in agreed), rel=1e-9)
    assert outcomes["steps"]["median"] == statistics.median_low(r["steps"] for r in agreed)  # a round some run took


class FakeResult:
    """A result whose JSON has a bimodal outcome and a numeric field the real result does not have yet."""

    def __init__(self, seed):
        self.seed = seed

    def to_json(self):
        agreed = self.seed % 10 != 9  # every tenth run breaks down
        return {"seed": self.seed, "agreed": agreed, "outcome": "agreement" if agreed else "breakdown",
                "steps": 3 if self.seed % 2 else 15, "us_profit_share": 0.9 if agreed else None,
                "tariff_relief_usd_bn_per_year": 12.0 + self.seed % 3 if self.seed % 2 else 64.0 - self.seed % 3,
                "new_outcome_usd_bn": float(self.seed), "utilities": {"us": 1.0}}


class FakeModel:
    def __init__(self, spec, rng=None, collect_data=None):
        self.seed = rng

    def run(self, solve=True):
        return FakeResult(self.seed)


def test_the_summary_reads_outcomes_generically_and_reports_both_modes(cli, monkeypatch):
    monkeypatch.setattr(negotiation.model, "NegotiationModel", FakeModel)
    summary = run_json(cli, "--replicates", 40)
    outcomes = summary["outcomes"]
    assert outcomes["agreed"] == {"agreed": 36, "n": 40, "rate": 0.9}
    assert set(outcomes) == {"agreed", "us_profit_share", "tariff_relief_usd_bn_per_year", "steps",
                             "new_outcome_usd_bn"}
    relief = outcomes["tariff_relief_usd_bn_per_year"]
    low, high = relief["modes"]
    assert low["value"] == 13.0 and high["value"] == 63.0
    assert low["mass"] == pytest.approx(16 / 36) and high["mass"] == pytest.approx(20 / 36)  # odd seeds break more
    assert [m["value"] for m in outcomes["steps"]["modes"]] == [3, 15]
    assert outcomes["us_profit_share"]["modes"] is None and outcomes["new_outcome_usd_bn"]["modes"] is None
    assert outcomes["new_outcome_usd_bn"]["n"] == 36

    code, table, _ = cli("run", "--replicates", 40)
    assert code == 0
    assert "36/40 agreed (90%)" in table
    line = next(ln for ln in table.splitlines() if ln.startswith("tariff_relief_usd_bn_per_year"))
    assert "13 (44%) | 63 (56%)" in line
    assert any(ln.startswith("new_outcome_usd_bn") for ln in table.splitlines())


def test_replicate_json_is_byte_identical(cli):
    a = cli("run", "--replicates", 4, "--seed", 11, "--json")
    b = cli("run", "--replicates", 4, "--seed", 11, "--json")
    assert a == b and a[0] == 0


def test_expected_gains_count_every_run_and_a_run_without_a_deal_as_zero(cli):
    """Seeds 0–19 hold collapses (the hazard, drawn): the expected gain is the mean over all 20, zeros included,
    below the mean over the deals alone."""
    runs = [run_json(cli, "--seed", seed) for seed in range(20)]
    summary = run_json(cli, "--replicates", 20)
    gains = summary["expected_gains"]
    assert any(not r["agreed"] for r in runs) and any(r["agreed"] for r in runs)
    for key in ("us", "japan", "jbic"):
        every = [r["utilities"][key] for r in runs]
        assert all(u == 0 for u, r in zip(every, runs, strict=True) if not r["agreed"])
        assert gains["mean"][key] == pytest.approx(statistics.mean(every), rel=1e-9, abs=1e-9)
        assert gains["mean"][key] < statistics.mean(u for u, r in zip(every, runs, strict=True) if r["agreed"])


def test_with_complete_information_the_expected_gains_are_the_equilibriums(cli):
    gains = run_json(cli, "--replicates", 3, "--set", "protocol.information=complete")["expected_gains"]
    for key in ("us", "japan"):
        assert gains["mean"][key] == pytest.approx(gains["equilibrium"][key], abs=1e-3)
