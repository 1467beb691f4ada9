"""scripts/mutants.py stays runnable: every mutant's patch still applies, once, to the code as it is.

The mutation run itself takes minutes (nine mutants × the agents, theory, model and regression tests) and is
run by hand (docs/NOTEBOOK.md keeps its table); this only says when a change to the code has left a mutant
pointing at text that is no longer there, so that scripts/mutants.py is updated with it.
"""

import runpy

import pytest
from helpers import ROOT

MUTANTS = runpy.run_path(str(ROOT / "scripts" / "mutants.py"))["MUTANTS"]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_every_mutant_still_applies_to_the_code(mutant):
    text = (ROOT / mutant.path).read_text(encoding="utf-8")
    mutated = mutant.apply(text)  # raises unless its text occurs exactly once
    assert mutated != text


def test_mutant_names_are_unique():
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
