"""Two independent backward inductions agree: the agents' complete-information plan and the exact solver.

The agents plan on their chain of tariff rates per share option (``agents/frontier.py``); the solver on its
Lagrangian curve of the same game (``negotiation/solvers/package_game.py``). With complete information each
government's value of round 1's outcome is its SPE utility; the two must agree to a small tolerance in every
scenario, including those where no deal is funded (both then hold the disagreement value).
"""

from pathlib import Path

import pytest
from helpers import BASELINE, ROOT

from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

SCENARIOS = [BASELINE, *sorted((ROOT / "runs" / "scenarios").glob("*.toml"))]
TOLERANCE_USD_BN = 1e-3  # found: ≤ 5e-5 $bn on every scenario file (2026-12-07); the chords of the chain


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: Path(p).stem)
def test_the_complete_information_plan_is_worth_the_solvers_spe_to_each_government(path):
    model = NegotiationModel(load_scenario(path, ["protocol.information=complete"]), rng=0, collect_data=False)
    solution = model.solve()
    us, japan = model.counterpart, model.principal
    if solution.spe is None:  # nothing funded, or no deal beats waiting: both plans hold no deal
        assert us.plan()[1] == pytest.approx(us.preferences.disagreement, abs=TOLERANCE_USD_BN)
        assert japan.plan()[1] == pytest.approx(japan.preferences.disagreement, abs=TOLERANCE_USD_BN)
        return
    assert us.plan()[1] == pytest.approx(solution.spe_utilities[0], abs=TOLERANCE_USD_BN)
    assert japan.plan()[1] == pytest.approx(solution.spe_utilities[1], abs=TOLERANCE_USD_BN)
    proposer = model.governments[model.spec.first_proposer]
    target = proposer.target(1)
    assert (target.us_share_before_recoup, target.us_profit_share) == (
        solution.spe.us_share_before_recoup, solution.spe.us_profit_share)
