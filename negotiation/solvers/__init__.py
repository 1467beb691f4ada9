"""Equilibria solved from the outside: pure functions, a checker beside each solver, no Mesa."""
