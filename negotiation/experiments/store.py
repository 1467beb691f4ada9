"""The output folder of a sweep: a manifest, Parquet part files written as chunks finish, the merged frame.

Nothing is lost: each finished chunk is written at once as a part file (to a temporary name, then renamed),
and ``runs.parquet`` is merged from the parts at the end. Resuming reruns only the runs missing from the
parts, and refuses a sweep whose file or base scenario changed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from negotiation.experiments.sweepfile import Sweep, SweepError
from negotiation.result import ROW_COLUMNS, UTILITY_PREFIX
from negotiation.scenario import Spec


def result_columns(base: Spec) -> list[str]:
    """The result columns of a sweep on ``base``: the run's outcome (``ROW_COLUMNS``), then each actor's utility."""
    return [*ROW_COLUMNS, *(f"{UTILITY_PREFIX}{key}" for key in base.actors)]


def chipdeal_version() -> str:
    """The installed chipdeal version (``unknown`` when run from a bare source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chipdeal")
    except PackageNotFoundError:
        return "unknown"


def _frame(rows: list[dict[str, Any]], sweep: Sweep) -> pd.DataFrame:
    results = result_columns(sweep.base)
    columns = ["run_id", "point", "replicate", "seed", *sweep.varied_keys, *results]
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("agreed",):
        frame[col] = frame[col].astype(bool)
    for col in ("steps",):
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in results:
        if col not in ("agreed", "outcome", "steps", "error"):
            frame[col] = pd.to_numeric(frame[col]).astype(float)
    frame["outcome"] = frame["outcome"].astype(object).where(frame["outcome"].notna(), "error").astype(str)
    frame["seed"] = frame["seed"].astype("int64")
    return frame


def _write_atomically(table: pa.Table, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _provenance(sweep: Sweep) -> dict[bytes, bytes]:
    meta = {"chipdeal_version": chipdeal_version(), "sweep_sha256": sweep.digest, "master_seed": sweep.file.seed,
            "sweep_file": sweep.source, "scenario": sweep.base.name, "runs": sweep.n_runs,
            "replicates": sweep.file.replicates, "varied_keys": sweep.varied_keys}
    return {b"chipdeal": json.dumps(meta, sort_keys=True).encode()}


class Store:
    """The output folder of one sweep: a manifest, part files as chunks finish, and the merged results."""

    def __init__(self, out: Path, sweep: Sweep) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.sweep = sweep

    @property
    def manifest(self) -> Path:
        """The file that ties the folder to one sweep."""
        return self.out / "sweep.json"

    def open(self, resume: bool) -> set[int]:
        """Prepare the folder; returns the run ids already done (only when resuming)."""
        if resume:
            if not self.manifest.is_file():
                raise SweepError(f"{self.out}: nothing to resume (no sweep.json); run without --resume")
            stored = json.loads(self.manifest.read_text())
            if stored.get("sweep_sha256") != self.sweep.digest:
                raise SweepError(f"{self.out}: the sweep file or its base scenario changed since this sweep "
                                 "started; --resume would mix results (use another --out)")
            return self.done_ids()
        if self.manifest.exists() or (self.parts.is_dir() and any(self.parts.iterdir())):
            raise SweepError(f"{self.out} already holds a sweep; pass --resume to finish it or choose another --out")
        self.parts.mkdir(parents=True, exist_ok=True)
        meta = json.loads(_provenance(self.sweep)[b"chipdeal"])
        tmp = self.manifest.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
        os.replace(tmp, self.manifest)
        return set()

    def done_ids(self) -> set[int]:
        """Run ids present in the part files."""
        self.parts.mkdir(parents=True, exist_ok=True)
        for stray in self.parts.glob(".tmp-*"):
            stray.unlink()
        done: set[int] = set()
        for part in self.parts.glob("runs-*.parquet"):
            done.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
        return done

    def write_part(self, rows: list[dict[str, Any]], trace_rows: list[dict[str, Any]]) -> None:
        """Write one finished chunk (traces first, so a runs part implies its traces are there)."""
        first = min(r["run_id"] for r in rows)
        if trace_rows:
            _write_atomically(pa.Table.from_pandas(pd.DataFrame(trace_rows), preserve_index=False),
                              self.parts / f"traces-{first:010d}.parquet")
        table = pa.Table.from_pandas(_frame(rows, self.sweep), preserve_index=False)
        _write_atomically(table, self.parts / f"runs-{first:010d}.parquet")

    def merge(self, traces: bool) -> pd.DataFrame:
        """Merge the parts into ``runs.parquet`` (and ``traces.parquet``), sorted by run id, each run once."""
        parts = sorted(self.parts.glob("runs-*.parquet"))
        frames = [pq.read_table(p).to_pandas() for p in parts]
        frame = pd.concat(frames, ignore_index=True) if frames else _frame([], self.sweep)
        frame = frame.drop_duplicates("run_id").sort_values("run_id", kind="stable").reset_index(drop=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        _write_atomically(table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                         **_provenance(self.sweep)}), self.out / "runs.parquet")
        trace_parts = sorted(self.parts.glob("traces-*.parquet"))
        if traces and trace_parts:
            tframe = pd.concat([pq.read_table(p).to_pandas() for p in trace_parts], ignore_index=True)
            tframe = tframe.drop_duplicates(["run_id", "round"]).sort_values(["run_id", "round"], kind="stable")
            ttable = pa.Table.from_pandas(tframe.reset_index(drop=True), preserve_index=False)
            _write_atomically(ttable.replace_schema_metadata({**(ttable.schema.metadata or {}),
                                                              **_provenance(self.sweep)}), self.out / "traces.parquet")
        return frame


