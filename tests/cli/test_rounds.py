"""run --json --rounds: every round's offer, both governments' utilities and every answer."""

import json

import pytest

from cli.cli_checks import one_error_line


def test_rounds_replay_the_negotiation_to_its_outcome(cli):
    code, out, err = cli("run", "--seed", 4, "--json", "--rounds")
    assert code == 0, err
    run = json.loads(out)
    rounds = run["rounds"]
    assert [r["round"] for r in rounds] == list(range(1, run["steps"] + 1))
    for r in rounds:
        assert 0 <= r["offer"]["us_profit_share"] <= 1 and r["offer"]["tariff_relief_usd_bn_per_year"] >= 0
        assert set(r["utilities"]) == {r["proposer"], r["responder"]}
        assert r["answers"] and all(set(a) >= {"actor", "accepted", "reason"} for a in r["answers"])
        assert r["answers"][-1]["actor"] == r["responder"]
    assert all(not r["answers"][-1]["accepted"] for r in rounds[:-1])
    last = rounds[-1]
    assert last["answers"][-1]["accepted"] == run["agreed"]
    if run["agreed"]:
        assert last["offer"]["us_profit_share"] == pytest.approx(run["us_profit_share"], rel=1e-9)
        assert last["offer"]["tariff_relief_usd_bn_per_year"] == pytest.approx(run["tariff_relief_usd_bn_per_year"],
                                                                             rel=1e-9)


def test_rounds_leave_the_contract_json_as_it_was(cli):
    plain = json.loads(cli("run", "--seed", 4, "--json")[1])
    with_rounds = json.loads(cli("run", "--seed", 4, "--json", "--rounds")[1])
    assert "rounds" not in plain
    assert {k: v for k, v in with_rounds.items() if k != "rounds"} == plain
    assert cli("run", "--seed", 4, "--json", "--rounds") == cli("run", "--seed", 4, "--json", "--rounds")


def test_rounds_need_json_and_one_run(cli):
    code, _, err = cli("run", "--rounds")
    assert code == 2 and "--json" in one_error_line(err)
    code, _, err = cli("run", "--rounds", "--json", "--replicates", 2)
    assert code == 2 and "one run only" in one_error_line(err)
