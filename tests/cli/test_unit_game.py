"""The unit game (Rubinstein's split of a unit surplus) has no money in it: its table speaks of shares."""

import pytest
from helpers import ROOT

RUBINSTEIN = ROOT / "runs" / "scenarios" / "rubinstein.toml"


@pytest.mark.parametrize("overrides", [[], ["--set", "protocol.max_rounds=2", "--set", "agents.us.discount=0.5"]],
                         ids=["agreed", "short"])
def test_the_unit_game_prints_shares_of_a_unit_surplus_and_no_dollars(cli, overrides):
    code, out, err = cli("run", RUBINSTEIN, *overrides)
    assert code == 0 and err == ""
    assert "$" not in out and "bn" not in out
    assert "unit surplus" in out
