"""The exact pruning of share options (``negotiation.model._options_that_matter``) changes no solution.

Where nothing recoups at a US share q before recoup, options that differ only in the share after recoup
differ only in what the claims cost; the model keeps the ones that can be efficient. The check: the
independent solver on the full grid of share pairs and on the pruned one finds the same equilibrium, the
same Nash and Kalai–Smorodinsky packages and the same frontier of round 1 — in the baseline (nothing
recoups: 2,601 → 201 options) and where something does (``high_yield``).
"""

from dataclasses import replace

import numpy as np
import pytest
from helpers import BASELINE, ROOT

from negotiation.issues import PackageTerms, share_grid
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario
from negotiation.solvers.package_game import round_frontier, solve_package_game


def full_game(model):
    """The model's game on every pair of shares of the grid (no pruning)."""
    claims = [c for c in (model.counterpart.preferences.claim, model.principal.preferences.claim) if c is not None]
    q, s = share_grid([c.us_share for c in claims], model.portfolio.two_phase)
    game = model.game()
    return replace(game, terms=PackageTerms(q, s, model.terms.continuous)), q.size


@pytest.mark.parametrize("path", [BASELINE, ROOT / "runs" / "scenarios" / "high_yield.toml"])
def test_pruning_the_share_options_changes_no_solution(path):
    model = NegotiationModel(load_scenario(path), rng=0, collect_data=False)
    pruned = model.game()
    full, n_full = full_game(model)
    assert pruned.terms.options < n_full  # something was pruned
    a, b = solve_package_game(pruned), solve_package_game(full)
    assert a.spe_round == b.spe_round
    assert a.spe == b.spe  # the same package: shares exactly (the grid's values), rates as solved
    assert a.spe_utilities == pytest.approx(b.spe_utilities, rel=1e-9, abs=1e-9)
    for x, y in ((a.nash, b.nash), (a.kalai_smorodinsky, b.kalai_smorodinsky)):
        assert (x.us_share_before_recoup, x.us_profit_share) == (y.us_share_before_recoup, y.us_profit_share)
        assert x.tariff_rates == pytest.approx(y.tariff_rates, abs=1e-9)
    fa, fb = round_frontier(pruned, 1), round_frontier(full, 1)
    assert np.allclose(fa[0], fb[0], rtol=1e-12, atol=1e-9) and np.allclose(fa[1], fb[1], rtol=1e-12, atol=1e-9)
