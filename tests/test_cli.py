"""The command-line contract of DESIGN.md: JSON shape, determinism, and exit 2 on every bad input."""

import json

import pytest
from helpers import chipdeal


def test_json_is_byte_identical_for_the_same_seed_and_names_every_actor():
    a = chipdeal("run", "--seed", "3", "--json")
    b = chipdeal("run", "runs/baseline.toml", "--seed", "3", "--json")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    out = json.loads(a.stdout)
    assert set(out["utilities"]) == {"us", "japan", "jbic", "nexi", "tsmc"}
    assert out["seed"] == 3 and isinstance(out["agreed"], bool)
    terms = {"us_share_before_recoup", "us_profit_share", "tariff_rates", "tariff_rate",
             "tariff_relief_usd_bn_per_year"}
    assert terms | {"concept", "round", "nash", "kalai_smorodinsky"} <= set(out["equilibrium"])
    assert terms <= set(out["equilibrium"]["nash"])
    assert set(out["tariff_rates"]) == set(out["equilibrium"]["tariff_rates"]) == {"autos", "other"}
    assert 0 <= out["us_share_before_recoup"] <= 1 and 0 <= out["us_profit_share"] <= 1
    assert min(out["tariff_rates"].values()) <= out["agreed_tariff_rate"] <= max(out["tariff_rates"].values())


def test_default_scenario_is_shipped_and_works_from_any_folder(tmp_path):
    p = chipdeal("run", "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["scenario"] == "baseline"


def test_table_output_shows_rounds_and_the_equilibrium():
    p = chipdeal("run")
    assert p.returncode == 0
    assert "round" in p.stdout and "Equilibrium" in p.stdout


BAD = {
    "missing file": ["run", "no/such.toml"],
    "unknown key": ["run", "--set", "deal.not_a_key=1"],
    "unknown actor": ["run", "--set", "agents.korea.discount=0.9"],
    "out of range": ["run", "--set", "deal.equity_fraction=2"],
    "nan": ["run", "--set", "deal.equity_fraction=nan"],
    "inf": ["run", "--set", "deal.fund_usd_bn=inf"],
    "wrong type": ["run", "--set", "deal.fund_usd_bn=\"lots\""],
    "boolean for number": ["run", "--set", "deal.fund_usd_bn=true"],
    "malformed override": ["run", "--set", "deal.fund_usd_bn"],
    "malformed value": ["run", "--set", "deal.fund_usd_bn=[1"],
    "bad seed": ["run", "--seed", "x"],
    "bad replicates": ["run", "--replicates", "0"],
}


@pytest.mark.parametrize("args", BAD.values(), ids=BAD.keys())
def test_bad_input_exits_2_with_one_line_and_no_traceback(args):
    p = chipdeal(*args)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert "Traceback" not in p.stderr + p.stdout


def test_malformed_file_names_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[deal]\nfund_usd_bn = = 3\n")
    p = chipdeal("run", str(bad))
    assert p.returncode == 2 and str(bad) in p.stderr and "line 2" in p.stderr


def test_replicates_summarise_the_split():
    p = chipdeal("run", "--replicates", "3", "--json")
    out = json.loads(p.stdout)
    assert out["replicates"] == 3
    assert out["us_profit_share_p2_5"] - 1e-12 <= out["us_profit_share_median"] <= out["us_profit_share_p97_5"] + 1e-12
    for key in ("us_share_before_recoup", "us_profit_share", "tariff_rate_autos", "tariff_rate_other",
                "agreed_tariff_rate"):
        stats = out["outcomes"][key]
        assert stats["n"] == out["outcomes"]["agreed"]["agreed"] and stats["p2_5"] <= stats["median"] <= stats["p97_5"]


def test_explain_tables_each_mechanism_and_what_it_moves():
    p = chipdeal("explain", "--replicates", "1", "--json")
    assert p.returncode == 0, p.stderr
    rows = {r["mechanism"]: r for r in json.loads(p.stdout)}
    base = rows["(none: the scenario as given)"]
    assert {"the counterpart's claim", "the principal's claim", "lenders' floor", "two-phase rule", "tariff threat",
            "unequal patience"} <= set(rows)
    assert set(base["tariff_rates"]) == {"autos", "other"}
    # without its claim's cost the US no longer holds its public share after recoup
    assert rows["the counterpart's claim"]["us_profit_share"] < base["us_profit_share"]
    one = rows["two-phase rule"]  # one share from the first dollar
    assert one["us_share_before_recoup"] == one["us_profit_share"]
    assert rows["tariff threat"]["agreed_fraction"] == 0  # nothing left to buy
