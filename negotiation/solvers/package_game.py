"""The package game of a scenario, solved from the outside: SPE, Nash and Kalai–Smorodinsky on its frontier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from negotiation.solvers.bargaining import concave_envelope, kalai_smorodinsky, nash_solution, spe_on_frontier

Utility = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PackageGame:
    """A two-government bargaining game over packages (US share s, relief fraction x), from outside.

    ``fundable_share`` is the highest s Japan's lenders fund (−1: none); the solver treats it as the edge of
    the feasible set. Player 0 is the US, player 1 Japan.
    """

    us_utility: Utility
    japan_utility: Utility
    disagreement: tuple[float, float]
    deltas: tuple[float, float]
    rounds: int
    us_first: bool
    fundable_share: float
    relief_at_stake: bool
    share_points: int = 2001
    relief_points: int = 101
    names: tuple[str, str] = ("US", "Japan")  # the two governments' display names, for the concept's text


@dataclass(frozen=True)
class Solution:
    """A point of the package game: the terms and the two governments' utilities."""

    us_profit_share: float
    relief_fraction: float
    us_utility: float
    japan_utility: float


@dataclass(frozen=True)
class GameSolution:
    """The SPE of a package game with the Nash and Kalai–Smorodinsky points beside it."""

    concept: str
    spe: Solution | None
    nash: Solution | None
    kalai_smorodinsky: Solution | None
    frontier_us: np.ndarray
    frontier_japan: np.ndarray


def _feasible_grid(game: PackageGame) -> tuple[np.ndarray, np.ndarray]:
    cap = game.fundable_share
    shares = np.union1d(np.linspace(0.0, 1.0, game.share_points), [min(max(cap, 0.0), 1.0)])
    shares = shares[shares <= cap + 1e-12]
    reliefs = np.linspace(0.0, 1.0, game.relief_points) if game.relief_at_stake else np.array([0.0])
    s, x = np.meshgrid(shares, reliefs, indexing="ij")
    return s.ravel(), x.ravel()


def solve_package_game(game: PackageGame) -> GameSolution:
    """Solve the package game: SPE (alternating offers, deadline), Nash and K–S on the fundable set."""
    last = game.names[0] if (game.rounds % 2 == 1) == game.us_first else game.names[1]
    concept = f"subgame-perfect equilibrium, alternating offers, {game.rounds}-round deadline, last offer {last}'s"
    s, x = _feasible_grid(game)
    if s.size == 0:
        return GameSolution(concept, None, None, None, np.array([]), np.array([]))
    uu, uj = game.us_utility(s, x), game.japan_utility(s, x)
    d = game.disagreement
    ok = (uu >= d[0]) & (uj >= d[1])
    if not ok.any():
        return GameSolution(concept, None, None, None, np.array([]), np.array([]))
    s, x, uu, uj = s[ok], x[ok], uu[ok], uj[ok]
    f = concave_envelope(uu, uj)
    fu, fj, fs, fx = uu[f], uj[f], s[f], x[f]
    out = spe_on_frontier(fu, fj, d, game.deltas, game.rounds, first=0 if game.us_first else 1)
    spe = None
    if out.agreed:
        i, w = out.index, out.weight
        k = min(i + 1, fs.size - 1)
        spe = Solution(float(fs[i] + w * (fs[k] - fs[i])), float(fx[i] + w * (fx[k] - fx[i])), out.u1, out.u2)
    nash = ks = None
    if (fu > d[0]).any() and ((fu > d[0]) & (fj > d[1])).any():
        n = nash_solution(fu, fj, d)
        nash = Solution(float(fs[n]), float(fx[n]), float(fu[n]), float(fj[n]))
        ku, kj = kalai_smorodinsky(fu, fj, d)
        m = int(np.argmin(np.abs(fu - ku) + np.abs(fj - kj)))
        ks = Solution(float(fs[m]), float(fx[m]), ku, kj)
    return GameSolution(concept, spe, nash, ks, fu, fj)
