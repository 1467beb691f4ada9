"""Two scenarios side by side (negotiation/compare.py): outcomes over the same seeds, and the keys that differ."""

import statistics

import pytest

from negotiation.compare import compare, differences, flat_values, rows
from negotiation.distribution import middle
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario, runs_file, with_overrides


@pytest.fixture(scope="module")
def baseline():
    return load_scenario()


def test_the_keys_that_differ_are_the_ones_set_differently_with_both_values(baseline):
    assert differences(baseline, baseline) == []
    other = with_overrides(baseline, {"deal.threat_rate": 0.3, "agents.japan.discount_rate_per_year": 0.05})
    found = {d.key: (d.a, d.b) for d in differences(baseline, other)}
    assert found == {"deal.threat_rate": (baseline.deal.threat_rate, 0.3),
                     "agents.japan.discount_rate_per_year": (baseline.agents["japan"].discount_rate_per_year, 0.05)}


def test_derived_values_count_and_names_do_not(baseline):
    shorter = with_overrides(baseline, {"deal.horizon_years": 1.0})
    keys = {d.key for d in differences(baseline, shorter)}
    assert keys == {"deal.horizon_years", "protocol.max_rounds"}  # the deadline in rounds follows the window
    renamed = baseline.model_copy(update={"name": "other", "description": "another text"})
    assert differences(baseline, renamed) == []


def test_keys_of_one_scenario_only_show_as_absent_in_the_other(baseline):
    rubinstein = load_scenario(runs_file("scenarios/rubinstein.toml"))
    found = {d.key: (d.a, d.b) for d in differences(baseline, rubinstein)}
    assert found["agents.jbic.role"] == ("lender", None)
    assert found["deal.kind"] == ("package", "unit_surplus")
    assert set(found) <= set(flat_values(baseline)) | set(flat_values(rubinstein))


def test_outcomes_are_summaries_of_the_single_runs_on_the_same_seeds(baseline):
    other = with_overrides(baseline, {"deal.horizon_years": 1.0})
    result = compare(baseline, other, seed=4, replicates=3)
    for side, spec in (("a", baseline), ("b", other)):
        runs = [NegotiationModel(spec, rng=s, collect_data=False).run(solve=False).to_json() for s in range(4, 7)]
        agreed = [r for r in runs if r["agreed"]]
        out = result[side]["outcomes"]
        assert out["agreed"] == {"rate": len(agreed) / 3, "agreed": len(agreed), "n": 3}
        for key in ("us_share_before_recoup", "us_profit_share", "agreed_tariff_rate",
                    "tariff_relief_usd_bn_per_year", "steps"):
            values = [r[key] for r in agreed]  # a count (steps) has the lower median, a value some run took
            assert out[key]["median"] == pytest.approx(middle(values), rel=1e-9)
            assert key != "steps" or out[key]["median"] in values
            assert out[key]["p2_5"] <= out[key]["median"] <= out[key]["p97_5"]
        for group in ("autos", "other"):
            rates = [r["tariff_rates"][group] for r in agreed]
            assert out[f"tariff_rate_{group}"]["median"] == pytest.approx(statistics.median(rates), rel=1e-9)
    assert [d["key"] for d in result["differences"]] == ["deal.horizon_years", "protocol.max_rounds"]
    labels = [r[0] for r in rows(result)]
    assert labels == ["agreement rate", "US share of profits before recoup", "US share of profits after recoup",
                      "tariff rate on autos", "tariff rate on other", "all-in tariff rate", "duty relief, $bn a year",
                      "rounds to the agreement"]


def test_a_one_phase_deal_has_one_share_and_a_deal_without_a_threat_no_rate(baseline):
    one = load_scenario(runs_file("scenarios/one_phase.toml"))
    untaxed = load_scenario(runs_file("scenarios/no_tariff_threat.toml"))
    labels = [r[0] for r in rows(compare(one, one, replicates=1))]
    assert "US share of profits" in labels and "US share of profits before recoup" not in labels
    assert "tariff rate on autos" in labels and "all-in tariff rate" in labels
    labels = [r[0] for r in rows(compare(untaxed, untaxed, replicates=1))]
    assert "US share of profits before recoup" in labels and not any("tariff" in label for label in labels)


def test_a_unit_surplus_scenario_reports_shares_of_the_surplus_and_no_tariff(baseline):
    rubinstein = load_scenario(runs_file("scenarios/rubinstein.toml"))
    result = compare(rubinstein, rubinstein, replicates=2)
    table = dict((r[0], r[1]) for r in rows(result))
    assert "US share of the unit surplus" in table and "all-in tariff rate" not in table
    assert table["US share of the unit surplus"].startswith("52.6%")  # (1 − 0.9)/(1 − 0.81)
    with pytest.raises(ValueError):
        compare(baseline, baseline, replicates=0)
