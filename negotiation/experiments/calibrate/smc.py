"""ABC-SMC (pyabc) against band patterns: the distance, pyabc's model, seeded sampling and the predictive runs.

Distance (:class:`BandDistance`): the sum over the fitted patterns of the squared distance of the run's value
*outside* the pattern's tolerance band, in units of the band's width::

    d(x) = Σ_p ((x_p − clip(x_p, low_p, high_p)) / (high_p − low_p))²

so a run inside every band is at distance 0 and one a whole band-width above a band at distance 1. A run that
did not agree (or raised) reproduces no pattern, as in ``chipdeal report``: it counts ``MISSED`` (a band-width
of ten, squared) per fitted pattern. With the epsilon schedule ending at 0, the last population is sampled
from the prior conditioned on every fitted pattern holding: its density is the prior times the probability,
over the model's own randomness (the belief draws), that a run with those parameters reproduces them all.

pyabc samples each parameter's prior quantile ``u`` on [0, 1] (the value is the prior's inverse distribution
function at ``u``), with a component-wise normal kernel truncated to the unit box whose density is exact
(:class:`~negotiation.experiments.calibrate.abc_sampler.TruncatedNormalTransition`): in 18 dimensions pyabc's
default multivariate normal proposes outside the priors' box most of the time. The thresholds are a quantile
of the last population's distances that gets past a point mass (where some pattern cannot be moved by these
parameters the distances pile up at one value); where no run comes closer the calibration stops and says so.

Each model evaluation is one run of the scenario with the particle's parameters and a seed drawn from the
numpy stream that pyabc perturbs particles with. That stream is seeded per *task* (one accepted particle,
and the rejected ones before it) from the master seed in the parent process, and the tasks' results are
collected in order, so a calibration is reproduced exactly by its seed whether it runs in-process, on
``--workers`` local processes or on a Dask cluster (``--scheduler``). (pyabc's own multicore and Dask
samplers reseed every worker from the operating system's entropy, so their posteriors cannot be replayed:
:class:`~negotiation.experiments.calibrate.abc_sampler.SeededMappingSampler` is pyabc's ``MappingSampler``
with seeded tasks instead.)

pyabc is imported only when :func:`abc_smc` runs.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from negotiation.experiments.calibrate.pages import plot_corner
from negotiation.experiments.calibrate.spec import CalibrationStopped, Prior
from negotiation.experiments.calibrate.stats import Result, effective_sample_size, identification, predictive_table
from negotiation.experiments.executors import Mapper, Stopped, in_process
from negotiation.experiments.report import Pattern
from negotiation.inputs import shown_path
from negotiation.scenario import Spec
from negotiation.scenario_files import with_overrides
from negotiation.values import Json, Scalar

MISSED = 100.0  # a fitted pattern a run does not reproduce at all (no agreement, no value): ten band-widths


type Row = dict[str, Scalar | None]  # one run's columns (RunResult.to_row), or agreed = False and the error


class Simulator(Protocol):
    """A model: parameters (dotted key → value) and a seed in, one run's columns out."""

    def __call__(self, params: dict[str, float], seed: int) -> Row:
        """One run's row (it must have ``agreed`` and the patterns' columns)."""
        ...


@dataclass(frozen=True)
class ScenarioSimulator:
    """One run of ``base`` with the parameters set and the given seed (no independent solve: not needed)."""

    base: Spec

    def __call__(self, params: dict[str, float], seed: int) -> Row:
        """The run's row; a run that raises is a row that did not agree, with its error."""
        from negotiation.model import NegotiationModel

        try:
            spec = with_overrides(self.base, params) if params else self.base
            return NegotiationModel(spec, rng=seed, collect_data=False).run(solve=False).to_row()
        except Exception as err:  # noqa: BLE001 - a failing run must count as a miss, not stop the calibration
            return {"agreed": False, "error": f"{err.__class__.__name__}: {err}"}


def _name(i: int) -> str:
    """Pyabc's name of the ``i``-th parameter (dotted keys are not identifiers)."""
    return f"p{i:02d}"


@dataclass(frozen=True)
class _Model:
    """pyabc's model: a particle (each parameter's prior quantile) → the run's pattern columns, seed, agreement."""

    simulate: Simulator
    priors: tuple[Prior, ...]
    columns: tuple[str, ...]

    def __call__(self, pars: Any) -> dict[str, float]:  # pars: pyabc's Parameter (untyped)
        seed = int(np.random.randint(0, 2**32, dtype=np.int64))  # pyabc's stream, seeded per task; exact as a float
        row = self.simulate({p.key: float(p.from_unit(float(pars[_name(i)]))) for i, p in enumerate(self.priors)}, seed)
        out = {"seed": float(seed), "agreed": float(bool(row.get("agreed"))), "error": float(bool(row.get("error")))}
        for col in self.columns:
            value = row.get(col)
            out[col] = float(value) if value is not None and row.get("agreed") else math.nan
        return out


@dataclass(frozen=True)
class BandDistance:
    """Squared distance outside each fitted pattern's band, in band-widths, summed (see the module docstring).

    >>> d = BandDistance((Pattern("t", "x", 0.1, 0.2, "F"),))
    >>> d({"x": 0.15, "agreed": 1.0}, {}), round(d({"x": 0.3, "agreed": 1.0}, {}), 9), d({"x": 0.15}, {})
    (0.0, 1.0, 100.0)
    """

    patterns: tuple[Pattern, ...]

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        """The distance of simulation ``x`` (``x0``, the observation, is the bands themselves)."""
        total = 0.0
        for p in self.patterns:
            value = x.get(p.column, math.nan)
            if not x.get("agreed") or value is None or not math.isfinite(value):
                total += MISSED
                continue
            width = p.high - p.low if p.high > p.low else max(abs(p.high), 1.0)
            total += ((value - min(max(value, p.low), p.high)) / width) ** 2
        return total


def _write_parquet(frame: pd.DataFrame, path: Path, meta: dict[str, Json]) -> None:
    """Write ``frame`` to ``path`` atomically (temporary name, then rename), with provenance metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"chipdeal": json.dumps(meta, sort_keys=True).encode()})
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """Keep pyabc's INFO lines (one per generation and step) off the terminal: the progress bar says it."""
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _numpy_seeded(seed: int) -> Iterator[None]:
    """Numpy's and Python's global streams (pyabc's) seeded from ``seed``, and put back afterwards."""
    state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(np.random.SeedSequence([seed, 15]).generate_state(1)[0])
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
        random.setstate(py_state)


def abc_smc(simulate: Simulator, priors: Sequence[Prior], patterns: Sequence[Pattern], fitted: Sequence[Pattern],
            out: str | Path, *, population: int = 500, generations: int = 8, quantile: float = 0.5,
            schedule: Sequence[float] = (), minimum_epsilon: float = 0.0, min_acceptance_rate: float = 0.0,
            max_minutes: float | None = None, seed: int = 0, mapper: Mapper = in_process, progress: bool = True,
            meta: Mapping[str, Json] | None = None) -> Result:
    """ABC-SMC over ``priors`` against the ``fitted`` patterns, then the predictive of every pattern.

    Args:
        simulate: the model (picklable when ``mapper`` runs elsewhere).
        priors: the free parameters.
        patterns: every pattern (the predictive covers them all).
        fitted: the summary statistics.
        out: the output folder (made if missing).
        population: particles per generation.
        generations: the most generations.
        quantile: epsilon of a generation = this quantile of the last one's distances (without ``schedule``).
        schedule: fixed thresholds, one per generation, instead.
        minimum_epsilon: stop once a generation's threshold is at most this.
        min_acceptance_rate: stop once a generation accepts fewer.
        max_minutes: stop after this long (then the stop depends on the machine's speed).
        seed: the master seed: the same seed gives the same posterior on any mapper.
        mapper: where the tasks run (:func:`in_process`, :class:`LocalPool`, :class:`DaskMapper`).
        progress: show progress bars.
        meta: provenance written into every Parquet file.

    Returns:
        The result (also in ``out``).

    Raises:
        CalibrationStopped: interrupted or failed after the first generation started (what was kept is said).

    """
    import pyabc
    from tqdm import tqdm

    from negotiation.experiments.calibrate.abc_sampler import (
        ProgressingQuantileEpsilon,
        SeededMappingSampler,
        TruncatedNormalTransition,
        UnitUniform,
    )

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stamp: dict[str, Json] = {**(meta or {}), "seed": seed, "population": population,
            "fitted": [p.column for p in fitted], "keys": [p.key for p in priors]}
    keys = tuple(p.key for p in priors)
    columns = tuple(dict.fromkeys(p.column for p in patterns))
    model = _Model(simulate, tuple(priors), columns)
    prior = pyabc.Distribution(**{_name(i): UnitUniform() for i in range(len(priors))})
    eps = pyabc.ListEpsilon(list(schedule)) if schedule else ProgressingQuantileEpsilon(alpha=quantile)
    generations = min(generations, len(schedule)) if schedule else generations
    sampler = SeededMappingSampler(mapper)
    started = time.monotonic()
    frames: list[pd.DataFrame] = []
    log: list[dict[str, float]] = []
    notes: list[str] = []
    bar: Any = None  # tqdm's bar (untyped)

    def ticker(label: str) -> Any:
        nonlocal bar
        if bar is not None:
            bar.close()
        bar = tqdm(total=population, desc=label, unit="particle", disable=not progress, leave=False,
                   dynamic_ncols=True)
        current = bar
        sampler.tick = lambda: current.update(1)
        return bar

    with _quiet_pyabc(), _numpy_seeded(seed):
        abc = pyabc.ABCSMC(model, prior, BandDistance(tuple(fitted)), population_size=population, eps=eps,
                           sampler=sampler, transitions=TruncatedNormalTransition())
        db = out / "abc.db"
        if db.exists():
            db.unlink()
        abc.new(f"sqlite:///{db.resolve()}", {p.column: 0.5 * (p.low + p.high) for p in fitted})
        abc.history.stores_sum_stats = False  # the ORM takes seconds a generation to store them; seeds are kept here
        populations = _capture_populations(abc.history)
        ticker("calibrate: prior sample (sets the first epsilon)")
        try:
            t = abc.initialize_components_before_run(
                minimum_epsilon=minimum_epsilon, max_nr_populations=generations,
                min_acceptance_rate=min_acceptance_rate, max_total_nr_simulations=np.inf,
                max_walltime=None if max_minutes is None else _timedelta(max_minutes), min_eps_diff=0.0)
            while True:
                epsilon = float(abc.eps(t))
                ticker(f"calibrate: generation {t + 1} of at most {generations} (ε = {epsilon:.3g})")
                tick = time.monotonic()
                ret = abc.run_generation(t=t)
                if not ret["successful"]:
                    break
                pop = populations.pop(t, None) or abc.history.get_population(t)
                frame = _population_frame(pop, priors, t, epsilon)
                frames.append(frame)
                _write_parquet(pd.concat(frames, ignore_index=True), out / "posterior.parquet", stamp)
                evaluations = int(sampler.nr_evaluations_)
                log.append({"generation": t + 1, "epsilon": epsilon, "evaluations": evaluations,
                            "acceptance_rate": ret["acceptance_rate"],
                            "ess": effective_sample_size(frame["weight"]), "seconds": time.monotonic() - tick})
                if bar is not None:
                    bar.close()
                    bar = None
                if progress:
                    tqdm.write(f"calibrate: generation {t + 1}: ε = {epsilon:.3g}, accepted {population} of "
                               f"{evaluations:,} runs ({ret['acceptance_rate']:.1%}), ESS "
                               f"{log[-1]['ess']:.0f}, {log[-1]['seconds']:.1f} s")
                if abc.check_terminate(t=t, acceptance_rate=ret["acceptance_rate"]):
                    break
                if getattr(eps, "stuck", False):
                    notes.append(f"stopped at generation {t + 1}: the threshold cannot go below ε = {epsilon:.3g} (no "
                                 "run of that generation came closer to the bands), so over these priors the fitted "
                                 "patterns cannot all hold together; the predictive table says which fails")
                    break
                t += 1
        except KeyboardInterrupt as err:
            raise CalibrationStopped(f"interrupted ({err.__class__.__name__}); {_kept(frames, out)}",
                                     130) from None
        except Stopped as err:  # a worker or the cluster failed (the mapper's one line)
            raise CalibrationStopped(f"{err}; {_kept(frames, out)}", err.exit_code) from None
        finally:
            if bar is not None:
                bar.close()
        if not frames:
            raise CalibrationStopped("no generation completed")
        last = frames[-1]
        try:
            ticker("calibrate: prior predictive")
            prior_draws = [{k: float(v) for k, v in zip(keys, row, strict=True)}
                           for row in zip(*(_draw_prior(p, population) for p in priors), strict=True)]
            prior_pred = _predictive(simulate, prior_draws, np.full(population, 1.0 / population), mapper,
                                     sampler.tick)
            _write_parquet(prior_pred, out / "prior_predictive.parquet", stamp)
            ticker("calibrate: posterior predictive")
            draws = [{k: float(row[k]) for k in keys} for row in last.to_dict("records")]
            post_pred = _predictive(simulate, draws, last["weight"].to_numpy(), mapper, sampler.tick)
            _write_parquet(post_pred, out / "posterior_predictive.parquet", stamp)
        except Stopped as err:
            raise CalibrationStopped(f"{err} (in the predictive runs); {_kept(frames, out)}", err.exit_code) from None
        if bar is not None:
            bar.close()
    ident = identification(priors, last, last["weight"])
    pred = predictive_table(patterns, fitted, {"prior": prior_pred, "posterior": post_pred})
    evaluations = int(sum(r["evaluations"] for r in log))
    result = Result(out, pd.DataFrame(log), last, ident, pred, time.monotonic() - started, evaluations, notes)
    try:
        plot_corner(priors, last, ident, out / "corner.png")
    except Exception as err:  # noqa: BLE001 - a plot that fails must not lose the tables
        result.notes.append(f"corner.png not drawn ({err.__class__.__name__}: {err})")
    return result


def _capture_populations(history: Any) -> dict[int, Any]:
    """The populations pyabc stores, kept as it stores them (reading one back from its database takes seconds).

    Args:
        history: pyabc's History.

    Returns:
        Generation → population, filled as each is stored.

    """
    kept: dict[int, Any] = {}
    store = history.append_population

    def append_population(t: int, current_epsilon: float, population: Any, *args: Any, **kwargs: Any) -> Any:
        kept[int(t)] = population
        return store(t, current_epsilon, population, *args, **kwargs)

    history.append_population = append_population
    return kept


def _timedelta(minutes: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=minutes)


def _kept(frames: list[pd.DataFrame], out: Path) -> str:
    if not frames:
        return "no generation had finished"
    return f"generations 1–{len(frames)} are kept in {shown_path(out / 'posterior.parquet')} and abc.db"


def _population_frame(pop: Any, priors: Sequence[Prior], t: int, epsilon: float) -> pd.DataFrame:
    """A generation's particles (``pop``: pyabc's Population, untyped) as rows: values, weight, distance, seed."""
    rows = []
    for k, particle in enumerate(pop.particles):
        row: dict[str, float] = {"generation": t + 1, "epsilon": epsilon, "particle": k,
                                 "weight": float(particle.weight), "distance": float(particle.distance),
                                 "seed": int(particle.sum_stat.get("seed", -1))}
        for i, p in enumerate(priors):
            row[p.key] = float(p.from_unit(float(particle.parameter[_name(i)])))
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["weight"] = frame["weight"] / frame["weight"].sum()
    return frame


def _draw_prior(p: Prior, n: int) -> np.ndarray:
    return np.asarray(p.from_unit(np.random.uniform(size=n)), dtype=float)


@dataclass(frozen=True)
class _PredictOne:
    simulate: Simulator

    def __call__(self, item: tuple[dict[str, float], int]) -> Row:
        params, seed = item
        return self.simulate(params, seed)


def _predictive(simulate: Simulator, draws: list[dict[str, float]], weights: np.ndarray, mapper: Mapper,
                tick: Callable[[], None]) -> pd.DataFrame:
    """One fresh run per draw (seeds from the stream): every column the model gives, with the draw's weight."""
    seeds = [int(s) for s in np.random.randint(0, 2**32, size=len(draws), dtype=np.int64)]
    rows = mapper(_PredictOne(simulate), list(zip(draws, seeds, strict=True)), tick)
    frame = pd.DataFrame([{**d, "seed": s, "weight": float(w), **r}
                          for d, s, w, r in zip(draws, seeds, weights, rows, strict=True)])
    frame["agreed"] = frame["agreed"].fillna(False).astype(bool)
    if "error" in frame:
        frame["error"] = frame["error"].fillna("").astype(str)
    return frame
