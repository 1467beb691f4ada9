"""pyabc's MappingSampler with seeded tasks: an ABC-SMC population reproduced exactly by its master seed.

Imported only by a calibration that runs (it imports pyabc), and by the workers that unpickle its tasks.
pyabc's own multicore and Dask samplers reseed every worker from the operating system's entropy
(``np.random.seed()`` in ``pyabc/sampler/multicore_evaluation_parallel.py`` and ``eps_mixin.py``), so their
populations cannot be replayed. Here the parent draws one seed per task (one accepted particle and the
rejected ones before it) from its own stream, which the calibration seeds from the master seed; each task
seeds numpy's and Python's global streams (the ones pyabc perturbs particles with, and the model draws its
run's seed from) with it; and the results are put together in task order, whatever ran them and whenever
they finished. So one seed gives one posterior in-process, on local processes or on a Dask cluster (tasks
that share a process, on a Dask worker with several threads, take turns with the global streams).
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pyabc import QuantileEpsilon, RVBase
from pyabc.parameters import Parameter
from pyabc.sampler import MappingSampler
from pyabc.transition import Transition
from pyabc.weighted_statistics import weighted_quantile
from scipy.special import ndtr, ndtri

from negotiation.experiments.executors import Mapper

_LOADED: dict[str, Any] = {}  # this process's unpickled particle sampler, by the digest of its bytes
# The global streams are the process's, not a thread's: tasks that share a process (a Dask worker with several
# threads) take turns, or one task's draws would land in another's stream. The runs are pure Python and hold
# the GIL, so taking turns costs no speed.
_STREAMS = threading.Lock()


class SeededMappingSampler(MappingSampler):
    """A MappingSampler whose every task is seeded from the parent's stream; results in task order.

    Args:
        mapper: ``mapper(task, seeds, tick)`` runs ``task(seed)`` for every seed and returns the results in the
            seeds' order, calling ``tick()`` as each task finishes.

    """

    def __init__(self, mapper: Mapper) -> None:
        super().__init__(map_=map)
        self.mapper = mapper
        self.tick: Callable[[], None] = lambda: None

    def map_function(self, simulate_one: Any, seed: Any) -> Any:
        """One task: sample particles until one is accepted, with the streams seeded from ``seed``.

        Args:
            simulate_one: pyabc's pickled particle sampler.
            seed: the task's seed.

        Returns:
            The task's sample (the accepted particle and the rejected ones) and how many runs it took.

        """
        with _STREAMS:
            return self._seeded(self._loaded(simulate_one), int(seed))

    def _seeded(self, simulate_one: Any, seed: int) -> Any:
        state, py_state = np.random.get_state(), random.getstate()  # run in-process, the parent's stream goes on
        np.random.seed(seed)
        random.seed(seed)
        try:
            evaluations = 0
            sample = self._create_empty_sample()
            while True:
                particle = simulate_one()
                evaluations += 1
                sample.append(particle)
                if particle.accepted:
                    break
        finally:
            np.random.set_state(state)
            random.setstate(py_state)
        return sample, evaluations

    def _loaded(self, pickled: bytes) -> Any:
        """The particle sampler, unpickled once per generation and process (unpickling it costs milliseconds)."""
        digest = hashlib.sha1(pickled, usedforsecurity=False).hexdigest()
        if digest not in _LOADED:
            _LOADED.clear()
            _LOADED[digest] = self.unpickle(pickled)
        return _LOADED[digest]

    def sample_until_n_accepted(self, n: int, simulate_one: Any, t: int, **_kwargs: Any) -> Any:
        """``n`` accepted particles: ``n`` seeded tasks, put together in order.

        Args:
            n: how many particles to accept.
            simulate_one: pyabc's particle sampler.
            t: the generation (unused: the seeds come from the stream).
            **_kwargs: pyabc's other arguments (a maximum of runs, whether all are accepted): unused.

        Returns:
            The sample.

        """
        seeds = [int(s) for s in np.random.randint(0, 2**32, size=n, dtype=np.int64)]
        task = functools.partial(self.map_function, self.pickle(simulate_one))
        results = self.mapper(task, seeds, self.tick)
        sample = self._create_empty_sample()
        self.nr_evaluations_ = 0
        for part, evaluations in results:
            sample += part
            self.nr_evaluations_ += evaluations
        return sample


class UnitUniform(RVBase):
    """The uniform distribution on [0, 1]: the prior of a free parameter's prior quantile ``u``.

    pyabc samples each free parameter as ``u``, the quantile of its prior (uniform or log-uniform on its
    range), so every prior is this one and the value is ``Prior.from_unit(u)``. Its density in closed form
    (scipy's costs a hundred times more, and pyabc evaluates it for every parameter of every proposal).

    >>> d = UnitUniform()
    >>> d.pdf(0.3), d.pdf(1.2), d.cdf(0.25)
    (1.0, 0.0, 0.25)
    """

    def copy(self) -> UnitUniform:
        """A copy (it has no state)."""
        return UnitUniform()

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        """One draw from numpy's global stream (pyabc's)."""
        return float(np.random.uniform())

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        """The density at ``x``."""
        return 1.0 if 0.0 <= float(x) <= 1.0 else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        """No mass anywhere (continuous)."""
        return 0.0

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        """The distribution function at ``x``."""
        return min(max(float(x), 0.0), 1.0)


class TruncatedNormalTransition(Transition):
    """The perturbation kernel: a component-wise normal truncated to the unit box, its density exact.

    A new particle is an old one ``u_j`` (drawn by weight) moved in each coordinate by a normal of standard
    deviation ``σ_i = sqrt(2 · Var_w(u_i))`` (Beaumont, Cornuet, Marin & Robert 2009) truncated to [0, 1], so
    no proposal falls outside the priors' ranges (pyabc's default multivariate normal proposes outside the
    box most of the time in 18 dimensions, and its weights leave out the truncation). Its density is the
    mixture ``Σ_j w_j Π_i φ((x_i − u_ji)/σ_i) / (σ_i Z_ji)``, ``Z_ji`` the mass of component ``j`` inside [0, 1]
    in coordinate ``i``, in closed form.
    """

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        """Fit the kernel to the last population.

        Args:
            X: its particles (one column per parameter, values in [0, 1]).
            w: their weights (pyabc normalises them).

        """
        x = X.to_numpy(dtype=float)
        w = np.asarray(w, dtype=float)
        mean = w @ x
        var = w @ (x - mean) ** 2
        self._x = x
        self._sigma = np.sqrt(np.maximum(2.0 * var, 1e-8))
        z = ndtr((1.0 - x) / self._sigma) - ndtr(-x / self._sigma)
        self._log_c = np.log(np.maximum(w, 1e-300)) - np.log(np.maximum(z, 1e-300)).sum(axis=1) \
            - np.log(self._sigma).sum() - 0.5 * x.shape[1] * math.log(2 * math.pi)
        self._columns = list(X.columns)
        self._p = w / w.sum()

    def rvs_single(self) -> Parameter:
        """One proposal (inverse-CDF sampling of each truncated coordinate, numpy's global stream)."""
        j = int(np.random.choice(len(self._p), p=self._p))
        u, sigma = self._x[j], self._sigma
        lo, hi = ndtr(-u / sigma), ndtr((1.0 - u) / sigma)
        q = lo + np.random.uniform(size=u.shape) * (hi - lo)
        x = np.clip(u + sigma * ndtri(np.clip(q, 1e-300, 1 - 1e-16)), 0.0, 1.0)
        return Parameter(dict(zip(self._columns, (float(v) for v in x), strict=True)))

    def pdf(self, x: Parameter | pd.Series | pd.DataFrame) -> float | np.ndarray:
        """The proposal's density at ``x`` (a particle, or a frame of them)."""
        if isinstance(x, pd.DataFrame):
            return np.array([self._pdf(row) for row in x[self._columns].to_numpy(dtype=float)])
        return self._pdf(np.array([float(x[c]) for c in self._columns]))

    def _pdf(self, x: np.ndarray) -> float:
        if np.any(x < 0.0) or np.any(x > 1.0):
            return 0.0
        log = self._log_c - 0.5 * (((x - self._x) / self._sigma) ** 2).sum(axis=1)
        top = log.max()
        return float(math.exp(top) * np.exp(log - top).sum())


class ProgressingQuantileEpsilon(QuantileEpsilon):
    """pyabc's quantile epsilon that gets past a point mass of distances.

    Where a set of parameters cannot move a summary statistic (the distance of half the population is one
    value), the quantile of the distances equals the last threshold and every generation accepts the same
    runs again. Then the threshold is the same quantile of the distances strictly below the last one; where
    there are none, it stays and :attr:`stuck` says so (the calibration stops: it cannot get closer).
    """

    stuck = False  # no distance of the last population lies below its threshold: it cannot go lower

    def _update(self, t: int, weighted_distances: pd.DataFrame) -> None:
        super()._update(t, weighted_distances)
        previous = self._look_up.get(t - 1)
        if previous is None or self._look_up[t] < previous:
            return
        below = weighted_distances[weighted_distances.distance < previous]
        self.stuck = not len(below)
        if len(below):
            w = below.w.to_numpy(dtype=float)
            self._look_up[t] = float(weighted_quantile(points=below.distance.to_numpy(), weights=w / w.sum(),
                                                       alpha=self.alpha))
