"""``chipdeal calibrate SPEC``: approximate Bayesian computation (pyabc's ABC-SMC) against the observed patterns.

In the order a calibration uses them: :mod:`.spec` reads and checks the spec (priors, fitted patterns);
:mod:`.smc` runs ABC-SMC (band distance, pyabc's model, :mod:`.abc_sampler`'s seeded sampler, predictive
runs) on a mapper of :mod:`negotiation.experiments.executors`; :mod:`.stats` says what the posterior
identified; :mod:`.pages` draws and writes the pages; :mod:`.run` is the command. pyabc is an optional
dependency (``uv run --extra calibrate``, ``pip install 'chipdeal[calibrate]'``; the dev group has it),
imported only when a calibration runs.
"""

from negotiation.experiments.calibrate.pages import identification_lines
from negotiation.experiments.calibrate.run import calibrate
from negotiation.experiments.calibrate.smc import BandDistance, ScenarioSimulator, abc_smc
from negotiation.experiments.calibrate.spec import (
    CalibrationError,
    CalibrationStopped,
    Prior,
    load_calibration,
    select_patterns,
)
from negotiation.experiments.calibrate.stats import Result, identification, weighted_corr, weighted_quantile

__all__ = ["BandDistance", "CalibrationError", "CalibrationStopped", "Prior", "Result", "ScenarioSimulator",
           "abc_smc", "calibrate", "identification", "identification_lines", "load_calibration", "select_patterns",
           "weighted_corr", "weighted_quantile"]
