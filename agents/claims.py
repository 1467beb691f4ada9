"""A public claim on the US profit share and what settling away from it costs a government (its one rule).

Before and during the talks each government put a share in public (FACTS white-house-framing: "90% of the
Profits"; opening-ask and japan-framing: 50:50, "returns by contribution and risk"). A public claim is a
partial commitment (Schelling 1960; Crawford 1982; Muthoo 1996): settling on terms its audience reads as
worse for it than the claim costs it an audience cost per unit of share backed down (Fearon 1994), and
terms its audience reads as better than the claim — taking back what it offered or asking more than it
demanded — cost it a retraction cost per unit with the other side. Which share the audience reads is a fact
of how the claim was made (``reading``):

* ``"phase"``: the claim named no phase, so it is honoured by whichever phase of the contract is most
  favourable to the claimant (the counterpart reads max(q, s), the principal min(q, s));
* ``"money"``: the audience weighs each phase by the money it carries: (q·B + s·A)/(B + A), with B and A
  the claimant's own values of the cash before and after recoup.

Which claim ends up on which phase is left to the bargain: the rule only prices distance from each claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class Claim:
    """A government's public claim on the US share, how its audience reads a contract, and the two costs.

    Args:
        us_share: the US share it claimed (a fraction in [0, 1]).
        reading: ``"phase"`` or ``"money"`` (module docstring).
        wants_high_share: True for the counterpart (a lower US share is backing down), False for the principal.
        concession_cost_usd_bn: PV $bn per unit of share (1.0 = the whole share) backed down from the claim.
        retraction_cost_usd_bn: PV $bn per unit of share beyond the claim in its own favour.

    >>> us = Claim(0.9, "phase", True, 5.0, 5.0)
    >>> round(float(us.cost(0.5, 0.9, 1.0, 0.0)), 9), round(float(us.cost(0.5, 0.5, 1.0, 0.0)), 9)
    (0.0, 2.0)
    >>> japan = Claim(0.5, "money", False, 5.0, 5.0)
    >>> round(float(japan.cost(0.5, 0.9, 1.0, 0.0)), 9), round(float(japan.cost(0.4, 0.9, 1.0, 0.0)), 9)
    (0.0, 0.5)

    """

    us_share: float
    reading: Literal["phase", "money"]
    wants_high_share: bool
    concession_cost_usd_bn: float
    retraction_cost_usd_bn: float

    def read(self, q: Any, s: Any, before: Any, after: Any) -> Any:
        """The US share the claimant's audience reads in a contract (q before recoup, s after)."""
        q, s = np.asarray(q, dtype=float), np.asarray(s, dtype=float)
        if self.reading == "phase":
            return np.maximum(q, s) if self.wants_high_share else np.minimum(q, s)
        total = np.asarray(before, dtype=float) + np.asarray(after, dtype=float)
        safe = np.where(total > 0.0, total, 1.0)
        return np.where(total > 0.0, (q * before + s * after) / safe, 0.5 * (q + s))

    def cost(self, q: Any, s: Any, before: Any, after: Any) -> Any:
        """What settling on (q, s) costs the claimant, PV $bn at signing (0 at its claim)."""
        gap = self.read(q, s, before, after) - self.us_share  # > 0: a higher US share than claimed
        backed_down = np.maximum(-gap, 0.0) if self.wants_high_share else np.maximum(gap, 0.0)
        taken_back = np.maximum(gap, 0.0) if self.wants_high_share else np.maximum(-gap, 0.0)
        return self.concession_cost_usd_bn * backed_down + self.retraction_cost_usd_bn * taken_back
