"""What a government believes about the other side, and how it learns: a prior over types, Bayes' rule.

Under incomplete information each government knows its own preferences and holds a *prior over the other
side's types*: the other's true preferences seen through its belief errors (``BeliefErrors``: its point
estimate, drawn once a run) and, around that estimate, its uncertainty of the same size σ
(``protocol.belief_noise``): a government knows how far off it may be. The types are the point estimate
moved in logs along each of the parameters it is unsure of, one at a time, to the Gauss–Hermite points of
N(0, σ²) (:func:`type_nodes`), the estimate itself in the middle.

It models a type's answer as a probit (random utility: McFadden 1974; quantal response: McKelvey & Palfrey
1995): type k accepts an offer with probability Φ((u_k − R_k)/s_k), u_k the offer's value to it, R_k its value
of refusing, s_k = η·(R_k − d_k) an evaluation noise of a fraction η (``protocol.answer_noise``) of what it
stands to gain over no deal (:func:`acceptance_probability`). It learns by Bayes' rule from the other side's
refusals (:func:`posterior_after_refusal`): the types likelier to have accepted the refused offer become less
likely, and a refusal no type expected still says which types were nearest to refusing (a deterministic answer
would leave the posterior unmoved then, and two governments each too hopeful about the other would repeat
their offers to the deadline).

How it chooses an offer from those beliefs — screening — is :func:`screening_values` (Fudenberg & Tirole
1983; Sobel & Takahashi 1983; Cramton 1992): an offer the tougher types refuse costs a round of delay (the
tariffs paid meanwhile, the breakdown risk, discounting) and buys better terms from the types that accept.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.hermite_e import hermegauss


def type_nodes(dims: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    """The types' log-offsets (in units of σ) and prior weights: Gauss–Hermite points along each axis.

    Along each of the d axes, the nodes z_i ≠ 0 and weights w_i of the ``points``-point Gauss–Hermite rule for
    N(0, 1) (exact for its moments up to degree 2·points − 1); the centre gets what is left, 1 − d·(1 − w_0).
    Each log-error then has the normal's moments along its own axis (mean 0, variance σ²).

    Args:
        dims: how many parameters of the other side it is unsure of (d ≥ 0).
        points: 3 or 5 (odd, so that the estimate itself is a type).

    Returns:
        (z of shape (d·(points − 1) + 1, d), weights summing to 1).

    >>> z, w = type_nodes(1, 3)
    >>> np.round(z[:, 0] ** 2, 12).tolist(), np.round(w * 6, 12).tolist()
    ([0.0, 3.0, 3.0], [4.0, 1.0, 1.0])

    """
    if points % 2 == 0 or points < 1:
        raise ValueError(f"type points must be odd (the estimate is the middle one), not {points}")
    nodes, weights = hermegauss(points)
    weights = weights / weights.sum()
    outer = [i for i in range(points) if i != points // 2]
    centre = 1.0 - dims * (1.0 - float(weights[points // 2]))
    if centre < 0.0:
        raise ValueError(f"{points} points along each of {dims} parameters leave the estimate a negative weight")
    z = np.zeros((dims * len(outer) + 1, dims))
    w = np.empty(dims * len(outer) + 1)
    w[0] = centre
    for a in range(dims):
        for j, i in enumerate(outer):
            z[1 + a * len(outer) + j, a] = nodes[i]
            w[1 + a * len(outer) + j] = weights[i]
    return z, w


def acceptance_probability(value: float, refuse: float, disagreement: float, noise: float,
                           accept: bool = True) -> float:
    """The chance a type accepts an offer worth ``value`` to it: Φ((value − refuse)/s), s = η·(refuse − d).

    With η = 0 (or nothing at stake) the answer is sure: 1 if value ≥ refuse, else 0. With ``accept`` false,
    the chance it refuses, 1 − Φ, computed without the rounding of 1 − Φ (a refusal no type expected still
    tells which was nearest to refusing).

    >>> acceptance_probability(10.0, 10.0, 0.0, 0.05)
    0.5
    >>> acceptance_probability(9.0, 10.0, 0.0, 0.0)
    0.0
    >>> refuse = acceptance_probability(15.0, 10.0, 0.0, 0.05, accept=False)
    >>> refuse > 0.0 == 1.0 - acceptance_probability(15.0, 10.0, 0.0, 0.05)
    True
    """
    scale = noise * (refuse - disagreement)
    if scale <= 0.0:
        return 1.0 if (value >= refuse) == accept else 0.0
    z = (value - refuse) / (scale * math.sqrt(2.0))
    return 0.5 * math.erfc(-z if accept else z)


def posterior_after_refusal(weights: np.ndarray, refuse: np.ndarray) -> np.ndarray:
    """Bayes' rule after the other side refused an offer: P(k | refused) ∝ w_k·P(refuse | k).

    Args:
        weights: the prior over types (sums to 1).
        refuse: each type's probability of refusing the offer (1 − its acceptance probability).

    Returns:
        The posterior (sums to 1); the prior if no type could have refused.

    >>> posterior_after_refusal(np.array([0.5, 0.5]), np.array([0.1, 0.9])).tolist()
    [0.1, 0.9]

    """
    posterior = weights * refuse
    total = float(posterior.sum())
    if total <= 0.0:
        return np.asarray(weights, dtype=float)
    return np.asarray(posterior / total, dtype=float)


def screening_values(own_if_accepted: np.ndarray, accepts: np.ndarray, own_if_refused: np.ndarray,
                     weights: np.ndarray) -> np.ndarray:
    """The expected value to the proposer of each candidate offer, over the types it believes in.

    E_j = Σ_k w_k·[A_jk·u_j + (1 − A_jk)·V_k]: type k accepts candidate j (with probability A_jk) and the
    proposer gets its value u_j of the package, or refuses and the talks go on, worth V_k to the proposer (the
    next round's outcome were the other side of type k, if the talks survive).

    Args:
        own_if_accepted: u_j, shape (J,).
        accepts: A, shape (J, K): each type's probability of accepting each candidate.
        own_if_refused: V_k, shape (K,).
        weights: w, shape (K,).

    Returns:
        E, shape (J,).

    >>> screening_values(np.array([10.0, 6.0]), np.array([[True, False], [True, True]]), np.array([2.0, 2.0]),
    ...                  np.array([0.5, 0.5])).tolist()
    [6.0, 6.0]

    """
    a = np.asarray(accepts, dtype=float)
    return np.asarray(a @ weights * own_if_accepted + (1.0 - a) @ (weights * own_if_refused), dtype=float)


def log_factors(z: np.ndarray, sigma: float) -> list[float]:
    """The multiplicative factors exp(σ·z_i) that move a point estimate to a type."""
    return [math.exp(sigma * float(v)) for v in z]
