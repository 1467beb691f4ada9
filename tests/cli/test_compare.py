"""chipdeal compare A B: both scenarios over the same seeds, the keys that differ, one-line errors."""

import json
from pathlib import Path

from cli.cli_checks import one_error_line
from negotiation.scenario_files import runs_file

BASE = str(runs_file("baseline.toml"))
SHORT = str(runs_file("scenarios/short_horizon.toml"))


def test_compare_json_has_both_sides_and_the_differences(cli):
    code, out, err = cli("compare", BASE, SHORT, "--replicates", 3, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["replicates"] == 3 and result["seed"] == 0
    assert result["a"]["scenario"] == "baseline" and result["b"]["scenario"] == "short_horizon"
    for side in ("a", "b"):
        outcomes = result[side]["outcomes"]
        assert outcomes["agreed"]["n"] == 3
        assert {"us_profit_share", "agreed_tariff_rate", "tariff_relief_usd_bn_per_year", "steps"} <= set(outcomes)
    assert result["differences"] and all({"key", "a", "b"} == set(d) for d in result["differences"])
    assert all(d["a"] != d["b"] for d in result["differences"])
    again = cli("compare", BASE, SHORT, "--replicates", 3, "--json")[1]
    assert again == out  # byte-identical


def test_compare_table_names_the_outcomes_and_the_keys(cli):
    code, out, err = cli("compare", BASE, SHORT, "--replicates", 2)
    assert code == 0, err
    assert "agreement rate" in out and "all-in tariff rate" in out and "rounds to the agreement" in out
    assert "key(s) differ:" in out
    code, out, _ = cli("compare", BASE, BASE, "--replicates", 1)
    assert code == 0 and "0 key(s) differ (the two scenarios are set alike)" in out


def test_compare_refuses_bad_input_in_one_line(cli, tmp_path):
    typo = tmp_path / "typo.toml"
    typo.write_text(f'base = "{Path(BASE).resolve()}"\n[deal]\nequty_fraction = 0.2\n')
    code, _, err = cli("compare", BASE, typo)
    assert code == 2 and "did you mean deal.equity_fraction?" in one_error_line(err)
    code, _, err = cli("compare", BASE, SHORT, "--replicates", 60, "--max-runs", 100)
    assert code == 2 and "120 runs" in one_error_line(err) and "--max-runs 120" in err
    code, _, err = cli("compare", BASE)
    assert code == 2 and one_error_line(err)
