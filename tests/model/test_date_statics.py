"""Comparative statics of the agents' date and rates under screening (issue 21), signed before they were run.

Each sign was written in docs/NOTEBOOK.md (7 December 2026) before the runs; the README's table "What the date
rests on" (scripts/date_statics.py, seeds 0–199) holds the magnitudes. Here seeds 0–19, with the talks
conditioned on surviving (``protocol.breakdown = "conditioned"``) so that a collapse does not censor a late
date (the fourth referee: with collapses drawn, more noise can *shorten* the mean date of the deals struck).

- belief noise 0 → 0.3: later agreement (+). No uncertainty, no screening: the first offer after the openings
  is taken (Rubinstein 1982).
- hazard 0 → 1 a year: earlier agreement (−). A refusal risks more, so screening a type costs more (Binmore,
  Rubinstein & Wolinsky 1986).
- relief's life 2.5 → 10 years: a higher rate on cars (+). Relief is worth more to Japan, so it pays more for
  it in the other terms.
"""

import statistics
from pathlib import Path

from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(20)


def runs(*sets):
    spec = load_scenario(ROOT / "runs" / "baseline.toml", ['protocol.breakdown="conditioned"', *sets])
    models = [NegotiationModel(spec, rng=seed, collect_data=False) for seed in SEEDS]
    for m in models:
        m.run(solve=False)
    return [m for m in models if m.outcome == "agreement"]


def mean_round(models):
    return statistics.fmean(m.agreement_round for m in models)


def test_more_belief_noise_delays_agreement():
    exact, noisy = runs("protocol.belief_noise=0"), runs("protocol.belief_noise=0.3")
    assert {m.agreement_round for m in exact} == {3}  # the first offer after the two openings
    assert mean_round(noisy) > mean_round(exact)


def test_a_higher_breakdown_hazard_brings_agreement_forward():
    assert mean_round(runs("protocol.breakdown_hazard_per_year=1")) < mean_round(
        runs("protocol.breakdown_hazard_per_year=0"))


def test_a_longer_life_of_relief_raises_the_rate_on_cars():
    def cars(models):
        return statistics.median(m.agreement.tariff_rates[0] for m in models)

    assert cars(runs("deal.relief_life_years=10")) > cars(runs("deal.relief_life_years=2.5"))
