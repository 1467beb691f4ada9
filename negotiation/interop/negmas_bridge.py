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

from negotiation.interop.genius import export
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
    """One SAO negotiation, the counterpart first (ufuns[0]), with NegMAS's ``strategy`` on both sides."""
    import negmas.sao as sao

    cls = getattr(sao, PAIRS[strategy])
    mechanism = sao.SAOMechanism(outcome_space=scenario.outcome_space, n_steps=n_steps)
    mechanism.add(cls(name="counterpart"), ufun=scenario.ufuns[0])
    mechanism.add(cls(name="principal"), ufun=scenario.ufuns[1])
    state = mechanism.run()
    agreement = state.agreement
    out: dict[str, Any] = {"strategy": strategy, "agreed": agreement is not None, "rounds": state.step}
    if agreement is not None:
        out["us_profit_share"] = float(agreement[0])
        out["relief_fraction"] = float(agreement[1])
        out["counterpart_utility"] = float(scenario.ufuns[0](agreement))
        out["principal_utility"] = float(scenario.ufuns[1](agreement))
    return out


def compare(model: Any, strategies: tuple[str, ...] = tuple(PAIRS), share_points: int = 101,
            relief_points: int = 11) -> list[dict[str, Any]]:
    """Our actors' run and each NegMAS pair on the exported scenario, with distances to our equilibrium."""
    require_negmas()
    spe = model.solve().spe
    rows = []
    t0 = time.perf_counter()
    ours = model.run(solve=False)
    rows.append({"engine": "chipdeal actors", "strategy": model.spec.protocol.information + " information",
                 "agreed": ours.agreed, "rounds": ours.steps,
                 "us_profit_share": ours.package.us_profit_share if ours.package else None,
                 "relief_fraction": ours.package.relief_fraction if ours.package else None,
                 "seconds": time.perf_counter() - t0})
    with tempfile.TemporaryDirectory(prefix="chipdeal-genius-") as tmp:
        export(model, tmp, share_points, relief_points)
        scenario = load(tmp)
        for strategy in strategies:
            t0 = time.perf_counter()
            r = negotiate(scenario, strategy, model.max_rounds)
            r["engine"] = "NegMAS SAO"
            r["seconds"] = time.perf_counter() - t0
            rows.append(r)
    for r in rows:
        share = r.get("us_profit_share")
        r["distance_to_equilibrium"] = abs(share - spe.us_profit_share) if share is not None and spe else None
        r["tariff_relief_usd_bn_per_year"] = (model.relief_usd_bn_per_year(Package(0.0, r["relief_fraction"]))
                                              if r.get("relief_fraction") is not None and model.relief_at_stake
                                              else None)
    return rows


__all__ = ["PAIRS", "compare", "load", "negotiate", "require_negmas"]
