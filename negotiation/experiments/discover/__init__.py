"""``chipdeal discover DIR --where EXPR``: scenario discovery on a sweep folder (PRIM boxes and a CART tree).

Which inputs, in which ranges, make the runs of interest happen? :mod:`.condition` reads ``--where`` (the runs
of interest); :mod:`.prim` is PRIM written here, with its checker and a held-out score; :mod:`.ema` runs the
EMA Workbench's PRIM instead where it is installed (the optional extra ``discover``: its dependency
platypus-opt is GPL-3.0, so it is not installed by default); :mod:`.run` is the command (the box, a CART tree
from scikit-learn, the page and the plot).
"""

from negotiation.experiments.discover.condition import DiscoverError, condition
from negotiation.experiments.discover.prim import (
    Box,
    HeldOut,
    Step,
    box_stats,
    check_trajectory,
    choose,
    held_out,
    paste,
    prim,
    simplify,
)
from negotiation.experiments.discover.run import Discovery, cart, discover

__all__ = ["Box", "DiscoverError", "Discovery", "HeldOut", "Step", "box_stats", "cart", "check_trajectory", "choose",
           "condition", "discover", "held_out", "paste", "prim", "simplify"]
