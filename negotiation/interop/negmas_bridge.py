"""Run an exported scenario with NegMAS's own negotiators (SAO), beside our actors' result.

NegMAS (AGPL, large) is a development dependency only: ``uv run`` in the project has it; a plain install of
chipdeal does not, and ``chipdeal negmas`` then says how to get it.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from negotiation.interop.genius import RATE_POINTS, SHARE_POINTS, Grid, export
from negotiation.issues import Package

PAIRS = {  # NegMAS's built-in strategies, the same strategy on both sides (both are time-based concession)
    "aspiration": "AspirationNegotiator",
    "boulware": "BoulwareTBNegotiator",
    "conceder": "ConcederTBNegotiator",
}


def require_negmas() -> Any:
    """Import NegMAS or explain how to get it."""
    # stringcase, which NegMAS imports lazily, has an invalid escape in a regex: not the user's concern
    warnings.filterwarnings("ignore", message="invalid escape sequence", category=SyntaxWarning)
    try:
        import negmas
    except ImportError:
        raise ImportError("NegMAS is not installed: it is a development dependency (uv sync --group dev, or "
                          "pip install negmas)") from None
    return negmas


def load(folder: str | Path) -> Any:
    """Load an exported folder with NegMAS (ufuns[0] is the counterpart, ufuns[1] the principal: files sort so)."""
    require_negmas()
    from negmas.inout import Scenario

    scenario = Scenario.from_genius_folder(Path(folder))
    if scenario is None:
        raise ValueError(f"NegMAS could not load {folder}")
    return scenario


def negotiate(scenario: Any, strategy: str, n_steps: int) -> dict[str, Any]:
    """One SAO negotiation, the counterpart first (ufuns[0]), with NegMAS's ``strategy`` on both sides.

    Returns the agreement as NegMAS hands it back (``outcome``: one value label per issue, ``None`` without
    agreement), the rounds it took and each side's normalised utility of it.
    """
    import negmas.sao as sao

    cls = getattr(sao, PAIRS[strategy])
    mechanism = sao.SAOMechanism(outcome_space=scenario.outcome_space, n_steps=n_steps)
    mechanism.add(cls(name="counterpart"), ufun=scenario.ufuns[0])
    mechanism.add(cls(name="principal"), ufun=scenario.ufuns[1])
    state = mechanism.run()
    agreement = state.agreement
    out: dict[str, Any] = {"strategy": strategy, "agreed": agreement is not None, "rounds": state.step,
                           "outcome": None if agreement is None else tuple(agreement)}
    if agreement is not None:
        out["counterpart_utility"] = float(scenario.ufuns[0](agreement))
        out["principal_utility"] = float(scenario.ufuns[1](agreement))
    return out


def distance(package: Package, other: Package) -> float:
    """The largest difference on any term of two packages (both shares, each bargained rate), as a run reports it."""
    gaps = [abs(package.us_share_before_recoup - other.us_share_before_recoup),
            abs(package.us_profit_share - other.us_profit_share),
            *(abs(a - b) for a, b in zip(package.tariff_rates, other.tariff_rates, strict=True))]
    return max(gaps)


def terms_row(model: Any, package: Package | None) -> dict[str, Any]:
    """A package's terms as the rows give them (every key present; ``None`` without agreement)."""
    if package is None:
        return {"us_share_before_recoup": None, "us_profit_share": None, "tariff_rates": {}, "tariff_rate": None,
                "tariff_relief_usd_bn_per_year": None}
    terms = model.terms_of(package)
    return {"us_share_before_recoup": terms.us_share_before_recoup, "us_profit_share": terms.us_profit_share,
            "tariff_rates": dict(terms.tariff_rates), "tariff_rate": terms.tariff_rate,
            "tariff_relief_usd_bn_per_year": terms.tariff_relief_usd_bn_per_year}


def compare(model: Any, strategies: tuple[str, ...] = tuple(PAIRS), share_points: int = SHARE_POINTS,
            rate_points: int = RATE_POINTS) -> list[dict[str, Any]]:
    """Our actors' run and each NegMAS pair on the exported scenario, with distances to our equilibrium.

    Each row: ``engine``, ``strategy``, ``agreed``, ``rounds``, the agreed terms (both shares, each group's
    rate, the all-in rate, the duty relief: :func:`terms_row`), ``distance_to_equilibrium`` (the largest gap
    on any term to our SPE) and ``seconds``; NegMAS's rows also each side's normalised utility.
    """
    require_negmas()
    spe = model.solve().spe
    t0 = time.perf_counter()
    ours = model.run(solve=False)
    rows: list[dict[str, Any]] = [{"engine": "chipdeal actors", "strategy": model.spec.protocol.information
                                   + " information", "agreed": ours.agreed, "rounds": ours.steps,
                                   "package": ours.package, "seconds": time.perf_counter() - t0}]
    with tempfile.TemporaryDirectory(prefix="chipdeal-genius-") as tmp:
        grid: Grid = export(model, tmp, share_points, rate_points)["grid"]
        scenario = load(tmp)
        for strategy in strategies:
            t0 = time.perf_counter()
            r = negotiate(scenario, strategy, model.max_rounds)
            outcome = r.pop("outcome")
            rows.append({"engine": "NegMAS SAO", **r, "package": None if outcome is None else grid.package_of(outcome),
                         "seconds": time.perf_counter() - t0})
    for r in rows:
        package = r.pop("package")
        r.update(terms_row(model, package))
        r["distance_to_equilibrium"] = distance(package, spe) if package is not None and spe is not None else None
    return rows


__all__ = ["PAIRS", "compare", "distance", "load", "negotiate", "require_negmas", "terms_row"]
