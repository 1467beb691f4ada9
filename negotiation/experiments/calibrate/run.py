"""The command: a calibration spec run into its folder, every output written as soon as it is complete.

Outputs: ``abc.db`` (pyabc's history, one population at a time), ``posterior.parquet`` (every generation's
particles: parameters, weight, distance, seed; rewritten after each generation), ``prior_predictive.parquet``
and ``posterior_predictive.parquet`` (one fresh run per draw, every pattern's column: the patterns not fitted
are *predicted*), ``corner.png``, ``identification.md`` and ``report.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from negotiation.experiments.calibrate.pages import write_pages
from negotiation.experiments.calibrate.smc import ScenarioSimulator, abc_smc
from negotiation.experiments.calibrate.spec import CalibrationError, load_calibration
from negotiation.experiments.calibrate.stats import Result
from negotiation.experiments.executors import mapper_for
from negotiation.inputs import shown_path
from negotiation.values import Json
from negotiation.version import code_fingerprint

OUTPUTS = ("abc.db", "posterior.parquet", "prior_predictive.parquet", "posterior_predictive.parquet",
           "corner.png", "identification.md", "report.md")


def calibrate(spec_path: str | Path, out: str | Path | None = None, *, fit: Sequence[str] | None = None,
              workers: int | None = None, scheduler: str | None = None, scheduler_file: str | Path | None = None,
              overwrite: bool = False, progress: bool = True, population: int | None = None,
              generations: int | None = None, seed: int | None = None) -> Result:
    """Run a calibration spec into ``out`` (default ``runs/out/calibration-<spec name>``).

    Args:
        spec_path: the calibration spec.
        out: its folder.
        fit: pattern columns or names to fit instead of the spec's.
        workers: local processes (default: every core; 1 runs in this process).
        scheduler: a Dask scheduler's address.
        scheduler_file: a Dask scheduler file (instead of ``scheduler``).
        overwrite: replace a calibration the folder holds.
        progress: show progress bars.
        population: overrides the spec's.
        generations: overrides the spec's.
        seed: overrides the spec's.

    Returns:
        The result; its folder holds every output.

    Raises:
        CalibrationError: a bad spec, option or folder (before any run).
        CalibrationStopped: interrupted or failed part-way.

    """
    cal = load_calibration(spec_path, fit, population=population, generations=generations, seed=seed)
    if workers is not None and workers < 1:
        raise CalibrationError("--workers must be at least 1")
    folder = Path(out) if out is not None else Path("runs/out") / f"calibration-{Path(spec_path).stem}"
    if folder.exists() and not folder.is_dir():
        raise CalibrationError(f"{shown_path(folder)}: not a folder")
    held = [name for name in OUTPUTS if (folder / name).exists()]
    if held and not overwrite:
        raise CalibrationError(f"{shown_path(folder)}: holds a calibration ({held[0]}); pass --overwrite to replace "
                               "it, or --out another folder")
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise CalibrationError("chipdeal calibrate needs pyabc: uv run --extra calibrate chipdeal calibrate … "
                               "(or pip install 'chipdeal[calibrate]')") from None
    mapper, close = mapper_for(workers, scheduler, scheduler_file)  # first: an unreachable cluster leaves no folder
    clean = False
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name in held:
                (folder / name).unlink()
        except OSError as err:
            raise CalibrationError(f"{shown_path(folder)}: cannot write there ({err.strerror or err})") from None
        meta: dict[str, Json] = {
            "calibration_file": cal.source, "calibration_file_sha256": cal.sha256, "scenario": cal.base.name,
            "code_fingerprint": code_fingerprint(),
            "spec_digest": hashlib.sha256(json.dumps(cal.file.model_dump(mode="json"), sort_keys=True).encode())
            .hexdigest()}
        result = abc_smc(ScenarioSimulator(cal.base), cal.priors, cal.patterns, cal.fitted, folder,
                         population=cal.file.population, generations=cal.file.generations,
                         quantile=cal.file.epsilon.quantile, schedule=cal.file.epsilon.schedule,
                         minimum_epsilon=cal.file.epsilon.minimum, min_acceptance_rate=cal.file.min_acceptance_rate,
                         max_minutes=cal.file.max_minutes, seed=cal.file.seed, mapper=mapper, progress=progress,
                         meta=meta)
        clean = True
    finally:
        close(not clean)
    write_pages(cal, result, meta)
    return result
