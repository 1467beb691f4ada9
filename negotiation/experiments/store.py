"""The output folder of a sweep: a manifest, Parquet part files written as chunks finish, the merged frame.

Nothing is lost: each finished chunk is written at once as a part file (to a temporary name, then renamed),
and ``runs.parquet`` is merged from the parts at the end, streamed part by part (memory stays flat).

Nothing foreign gets in: the manifest (``sweep.json``) and every part file name their sweep (the digest of
the validated sweep and base scenario, ``sweep_digest``), the code that ran it (:func:`code_fingerprint`, a
hash of the installed package's source: the version string alone does not change between edits) and the
options that shape the parts (``traces``). Resuming refuses a folder whose sweep, code or options differ,
and checks every part file: one that is truncated, empty, not Parquet, of the wrong columns, from another
sweep or other code, or whose run ids do not match its name, is moved to ``rejected/`` and its runs run
again. The merge checks that the parts hold every run exactly once.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from negotiation.experiments.sweepfile import Sweep, SweepError
from negotiation.inputs import ScenarioError, read_small_file, shown_path
from negotiation.result import ADVANTAGE_PREFIX, CONCESSION_PREFIX, ROW_COLUMNS, TARIFF_PREFIX, UTILITY_PREFIX
from negotiation.scenario import Spec
from negotiation.version import code_fingerprint

FORMAT = 2  # of the folder: 2 = parts and manifest carry sweep_digest, code_fingerprint and traces
MANIFEST = "sweep.json"
PART = re.compile(r"^(runs|traces)-(\d{10})\.parquet$")
MAX_PART_BYTES = 1 << 30  # a part holds at most runner.MAX_PART_RUNS runs (and their traces): far below this
MERGE_BATCH_ROWS = 65_536  # rows per row group of the merged files
_ARTEFACTS = (MANIFEST, "runs.parquet", "traces.parquet", "parts", "rejected")


class SweepStopped(Exception):  # noqa: N818 - it is a stop, not a bug
    """A sweep that stopped before the end (interrupted, or a fault of the disk, a worker or the cluster).

    The message is one line: what happened, what was kept and how to resume. ``exit_code`` is what the
    command line exits with (130 for Ctrl-C, 128 + the signal's number for other signals, 1 for a fault).
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def result_columns(base: Spec) -> list[str]:
    """The result columns of a sweep on ``base``: outcome, actors' utilities, governments' metrics.

    ``ROW_COLUMNS``, then ``tariff_rate_<goods>`` for each group of goods, ``utility_<key>`` for each actor,
    then ``advantage_<key>`` and ``concession_rate_<key>`` for each government.

    Args:
        base: the sweep's base scenario.

    Returns:
        Column names, in order.

    """
    goods = base.deal.goods if base.deal.kind == "package" and base.deal.tariff_threat and base.deal.goods else {}
    return [*ROW_COLUMNS, *(f"{TARIFF_PREFIX}{name}" for name in goods),
            *(f"{UTILITY_PREFIX}{key}" for key in base.actors),
            *(f"{ADVANTAGE_PREFIX}{key}" for key in base.governments),
            *(f"{CONCESSION_PREFIX}{key}" for key in base.governments)]


def chipdeal_version() -> str:
    """The installed chipdeal version (``unknown`` when run from a bare source tree).

    Returns:
        The version string (fixed between releases: see :func:`code_fingerprint` for the code itself).

    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chipdeal")
    except PackageNotFoundError:
        return "unknown"


_ARROW_KINDS = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "str": pa.string()}
LEVER_COLUMNS = ("lever_set", "state")  # a sweep with [levers]: which lever set, which state of the world


def run_schema(sweep: Sweep) -> pa.Schema:
    """The Arrow schema of every runs part and of ``runs.parquet`` (without metadata).

    Args:
        sweep: the sweep.

    Returns:
        Ids and seed (with levers, the lever set and the state of the world), the varied keys (by their kind),
        then the result columns.

    """
    fields = [pa.field("run_id", pa.int64()), pa.field("point", pa.int64()), pa.field("replicate", pa.int64()),
              pa.field("seed", pa.int64())]
    if has_levers(sweep):
        fields += [pa.field(name, pa.int64()) for name in LEVER_COLUMNS]
    fields += [pa.field(k, _ARROW_KINDS[sweep.kinds.get(k, "float")]) for k in sweep.varied_keys]
    for col in result_columns(sweep.base):
        kind = {"agreed": pa.bool_(), "outcome": pa.string(), "error": pa.string(),
                "fundable_share_reason": pa.string(), "steps": pa.int64(),
                "deadline_rounds": pa.int64(), "agreement_round": pa.int64()}.get(col, pa.float64())
        fields.append(pa.field(col, kind))
    return pa.schema(fields)


def has_levers(sweep: Sweep) -> bool:
    """Whether the sweep's rows say which lever set and which state of the world they are (``[levers]``).

    Args:
        sweep: the sweep.

    Returns:
        ``True`` for a sweep file with levers (not crossed with an explicit design).

    """
    return bool(sweep.file.levers) and not sweep.design


def provenance(sweep: Sweep, traces: bool) -> dict[str, Any]:
    """What ties a folder, a part file or a merged file to its sweep, its code and its options.

    Args:
        sweep: the sweep.
        traces: whether per-round traces are recorded.

    Returns:
        A JSON-able dict (finite numbers only).

    """
    return {"format": FORMAT, "chipdeal_version": chipdeal_version(), "code_fingerprint": code_fingerprint(),
            "sweep_digest": sweep.digest, "sweep_file_sha256": sweep.file_sha256, "sweep_file": sweep.source,
            "scenario": sweep.base.name, "master_seed": sweep.file.seed, "runs": sweep.n_runs,
            "replicates": sweep.file.replicates, "varied_keys": sweep.varied_keys, "traces": traces,
            "design": sweep.file.design, "levers": list(sweep.file.levers) if has_levers(sweep) else [],
            "governments": list(sweep.base.governments)}


def _metadata(meta: dict[str, Any]) -> dict[bytes, bytes]:
    return {b"chipdeal": json.dumps(meta, sort_keys=True, allow_nan=False).encode()}


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """A chunk's rows as a table of the sweep's schema (a run that raised has outcome ``error``)."""
    columns = []
    for f in schema:
        values = [row.get(f.name) for row in rows]
        if f.name == "outcome":
            values = ["error" if v is None else str(v) for v in values]
        elif f.name == "error":
            values = ["" if v is None else str(v) for v in values]
        elif f.name == "agreed":
            values = [bool(v) for v in values]
        columns.append(pa.array(values, type=f.type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schema)


def _regular_size(path: Path) -> int | None:
    """The size of ``path`` if it is a regular file (not followed through a symlink), else ``None``."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _read_part(path: Path) -> pa.Table:
    """A part file's table; any problem raises ``ValueError`` with the reason in a few words."""
    size = _regular_size(path)
    if size is None:
        raise ValueError("not a regular file")
    if size == 0:
        raise ValueError("empty")
    if size > MAX_PART_BYTES:
        raise ValueError("too large")
    try:
        return pq.read_table(path)
    except Exception as err:  # noqa: BLE001 - pyarrow raises many kinds for a truncated or garbage file
        raise ValueError(f"truncated or not Parquet ({err.__class__.__name__})") from None


def _meta_of(table: pa.Table) -> dict[str, Any]:
    try:
        meta = json.loads((table.schema.metadata or {})[b"chipdeal"])
    except (KeyError, ValueError):
        raise ValueError("no chipdeal provenance") from None
    if not isinstance(meta, dict):
        raise ValueError("no chipdeal provenance")
    return meta


@dataclass
class Opened:
    """What :meth:`Store.open` found: the runs already done, whether all are, and what it had to say."""

    done: np.ndarray  # one bool per run id
    finished: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """The merged sweep in numbers (computed while streaming the parts)."""

    runs: int
    agreed: int
    errors: int
    path: Path
    already_finished: bool = False  # nothing was left to run


class Store:
    """The output folder of one sweep: a manifest, part files as chunks finish, and the merged results."""

    def __init__(self, out: str | Path, sweep: Sweep, traces: bool = False) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.rejected = self.out / "rejected"
        self.sweep = sweep
        self.traces = traces
        self.meta = provenance(sweep, traces)
        self.schema = run_schema(sweep)
        self.kept = 0  # runs held by valid parts (those found when opening, plus those written since)

    @property
    def manifest(self) -> Path:
        """The file that ties the folder to one sweep."""
        return self.out / MANIFEST

    @property
    def shown(self) -> str:
        """The folder, as messages show it."""
        return shown_path(self.out)

    # -- opening ------------------------------------------------------------------------------------------

    def open(self, resume: bool = False, overwrite: bool = False) -> Opened:
        """Prepare the folder for the sweep.

        Args:
            resume: finish the sweep the folder holds (its parts are checked one by one).
            overwrite: replace whatever sweep the folder holds (only chipdeal's own files are removed).

        Returns:
            The runs already done (all ``False`` unless resuming), whether the sweep is finished, and notes.

        Raises:
            SweepError: the folder cannot be used as asked (one line saying why and what to pass).

        """
        if resume and overwrite:
            raise SweepError("--resume and --overwrite contradict each other: pass one")
        self._check_folder()
        present = [name for name in _ARTEFACTS if os.path.lexists(self.out / name)
                   and not (name in ("parts", "rejected") and self._empty_dir(self.out / name))]
        if overwrite and present:
            self._check_writable()
            self._remove_artefacts()
            present = []
        if not present:
            if resume:
                raise SweepError(f"{self.shown}: nothing to resume (no {MANIFEST}); run without --resume")
            self._check_writable()
            return self._start()
        stored, problem = self._read_manifest()
        if stored is None and not (resume and self._valid_runs_parts()):
            what = "a runs.parquet" if "runs.parquet" in present and MANIFEST not in present else "a sweep"
            raise SweepError(f"{self.shown} already holds {what} ({problem}); pass --overwrite to replace it or "
                             "choose another --out")
        if stored is not None:
            self._check_same(stored, resume)
        finished = self.finished()
        n = self.sweep.n_runs
        if finished:  # nothing to write: a finished sweep is reported as such on read-only media too
            return Opened(np.ones(n, dtype=bool), finished=True)
        if not resume:
            raise SweepError(f"{self.shown} holds an unfinished run of this sweep; pass --resume to finish it or "
                             "--overwrite to start over")
        self._check_writable()
        notes = []
        if stored is None:
            if os.path.lexists(self.manifest):
                self._reject(self.manifest)
            self._write_manifest()
            notes.append(f"{shown_path(self.manifest)} was {problem}; rewritten from this sweep (the old one is in "
                         "rejected/; every part file is checked against this sweep)")
        self._clean_strays()
        done, rejected = self._verify_parts()
        if rejected:
            shown = "; ".join(f"{name}: {why}" for name, why in rejected[:3])
            more = f"; and {len(rejected) - 3} more" if len(rejected) > 3 else ""
            notes.append(f"{len(rejected)} part file(s) failed their check and were moved to "
                         f"{shown_path(self.rejected)} ({shown}{more}); their runs will run again")
        self.kept = int(done.sum())
        return Opened(done, notes=notes)

    @staticmethod
    def _empty_dir(path: Path) -> bool:
        try:
            return path.is_dir() and not path.is_symlink() and not any(path.iterdir())
        except OSError:
            return False

    def _fail(self, what: str, err: OSError) -> SweepError:
        return SweepError(f"{self.shown}: cannot {what} ({err.strerror or err.__class__.__name__})")

    def _check_folder(self) -> None:
        try:
            os.fspath(self.out).encode()
            if "\0" in os.fspath(self.out):
                raise ValueError
        except (ValueError, UnicodeEncodeError):
            raise SweepError(f"{self.shown}: not a valid folder name") from None
        if os.path.lexists(self.out) and not self.out.is_dir():
            raise SweepError(f"{self.shown}: exists and is not a folder")

    def _check_writable(self) -> None:
        """Make the folder if need be and check that a file can be made in it (before the first write)."""
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.out, prefix=".tmp-probe-")  # noqa: SIM115
            probe.close()
        except OSError as err:
            raise self._fail("write there", err) from None

    def _remove_artefacts(self) -> None:
        try:
            for name in _ARTEFACTS:
                path = self.out / name
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif os.path.lexists(path):
                    path.unlink()
        except OSError as err:
            raise self._fail("remove the old sweep", err) from None

    def _start(self) -> Opened:
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self._fail("create parts/", err) from None
        self._write_manifest()
        return Opened(np.zeros(self.sweep.n_runs, dtype=bool))

    def _write_manifest(self) -> None:
        try:
            self._write_bytes(json.dumps(self.meta, indent=2, sort_keys=True, allow_nan=False).encode(),
                              self.manifest)
        except OSError as err:
            raise self._fail(f"write {MANIFEST}", err) from None

    def _read_manifest(self) -> tuple[dict[str, Any] | None, str]:
        """The stored manifest, or ``None`` and what is wrong with it."""
        if not os.path.lexists(self.manifest):
            return None, f"no {MANIFEST}"
        try:
            stored = json.loads(read_small_file(self.manifest))
        except ScenarioError as err:
            return None, f"unreadable: {str(err).rsplit(': ', 1)[-1]}"
        except ValueError:
            return None, "not valid JSON"
        if not isinstance(stored, dict) or not isinstance(stored.get("sweep_digest"), str):
            return None, "not a chipdeal manifest"
        return stored, ""

    def _check_same(self, stored: dict[str, Any], resume: bool) -> None:
        hint = "pass --overwrite to start over or choose another --out"
        if stored.get("sweep_digest") != self.sweep.digest:
            if resume:
                raise SweepError(f"{self.shown}: the sweep file or its base scenario changed since this sweep "
                                 f"started; --resume would mix results ({hint})")
            raise SweepError(f"{self.shown} already holds another sweep ({stored.get('sweep_file', '?')}); {hint}")
        if stored.get("code_fingerprint") != code_fingerprint():
            raise SweepError(f"{self.shown}: this sweep was run by other chipdeal code (fingerprint "
                             f"{stored.get('code_fingerprint')}, now {code_fingerprint()}); resuming would mix two "
                             f"versions ({hint})")
        if bool(stored.get("traces")) != self.traces:
            was = "with" if stored.get("traces") else "without"
            if resume:
                raise SweepError(f"{self.shown}: this sweep was started {was} --traces; resume it the same way")
            raise SweepError(f"{self.shown} holds this sweep run {was} --traces; {hint}")

    def finished(self) -> bool:
        """Whether ``runs.parquet`` is this sweep's, made by this code, with every run (and traces if asked).

        Returns:
            ``True`` when nothing is left to do.

        """
        path = self.out / "runs.parquet"
        if _regular_size(path) is None:
            return False
        try:
            meta = json.loads((pq.read_schema(path).metadata or {})[b"chipdeal"])
            rows = pq.read_metadata(path).num_rows
        except Exception:  # noqa: BLE001 - unreadable means not finished
            return False
        same = all(meta.get(k) == self.meta[k] for k in ("sweep_digest", "code_fingerprint", "traces"))
        return same and rows == self.sweep.n_runs and (not self.traces or
                                                        _regular_size(self.out / "traces.parquet") is not None)

    def _clean_strays(self) -> None:
        for folder in (self.out, self.parts):
            try:
                for stray in folder.glob(".tmp-*"):
                    stray.unlink()
            except OSError:
                pass

    def _reject(self, path: Path) -> None:
        try:
            self.rejected.mkdir(exist_ok=True)
            os.replace(path, self.rejected / path.name)
        except OSError as err:
            raise self._fail(f"move {path.name} to rejected/", err) from None

    def _check_meta(self, meta: dict[str, Any], first: int) -> None:
        if meta.get("sweep_digest") != self.sweep.digest:
            raise ValueError("from another sweep")
        if meta.get("code_fingerprint") != code_fingerprint():
            raise ValueError("made by other chipdeal code")
        if bool(meta.get("traces")) != self.traces:
            raise ValueError("written with other --traces")
        if meta.get("first_run") != first:
            raise ValueError("renamed (its runs start elsewhere)")

    def _check_runs_part(self, path: Path, first: int) -> pa.Table:
        """A runs part's table, checked; ``ValueError`` saying why it cannot be vouched for."""
        table = _read_part(path)
        self._check_meta(_meta_of(table), first)
        if not table.schema.remove_metadata().equals(self.schema):
            raise ValueError("wrong columns or types")
        ids = table.column("run_id").to_numpy()
        if len(ids) == 0:
            raise ValueError("no rows")
        if first + len(ids) > self.sweep.n_runs or not np.array_equal(ids, np.arange(first, first + len(ids))):
            raise ValueError("its run ids do not match its name")
        return table.replace_schema_metadata(None)

    def _check_traces_part(self, path: Path, first: int, count: int) -> None:
        table = _read_part(path)
        self._check_meta(_meta_of(table), first)
        if table.num_rows and "run_id" in table.column_names:
            ids = table.column("run_id").to_numpy()
            if ids.min() < first or ids.max() >= first + count:
                raise ValueError("its run ids do not match its runs part")
        elif table.num_rows:
            raise ValueError("no run_id column")

    def _verify_parts(self) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Check every part file; bad ones go to ``rejected/``. Returns the runs done and the rejected parts."""
        done = np.zeros(self.sweep.n_runs, dtype=bool)
        runs: dict[int, Path] = {}
        traces: dict[int, Path] = {}
        try:
            names = sorted(os.listdir(self.parts))
        except FileNotFoundError:
            names = []
        except OSError as err:
            raise self._fail("list parts/", err) from None
        for name in names:
            m = PART.match(name)
            if m:
                (runs if m.group(1) == "runs" else traces)[int(m.group(2))] = self.parts / name
        rejected: list[tuple[str, str]] = []
        for first in sorted(runs):
            path = runs[first]
            try:
                count = self._check_runs_part(path, first).num_rows
                if done[first:first + count].any():
                    raise ValueError("overlaps another part")
                if self.traces:
                    if first not in traces:
                        raise ValueError("its traces part is missing")
                    self._check_traces_part(traces[first], first, count)
            except ValueError as why:
                rejected.append((path.name, str(why)))
                self._reject(path)
                if first in traces:
                    self._reject(traces.pop(first))
                continue
            done[first:first + count] = True
        for first, path in traces.items():  # traces of a chunk whose runs part was never written: redone
            if first not in runs:
                try:
                    path.unlink()
                except OSError as err:
                    raise self._fail(f"remove {path.name}", err) from None
        return done, rejected

    # -- writing ------------------------------------------------------------------------------------------

    def _write_bytes(self, data: bytes, path: Path) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _write_table(self, table: pa.Table, path: Path) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=path.parent)
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def write_part(self, rows: list[dict[str, Any]], trace_rows: list[dict[str, Any]]) -> None:
        """Write one finished chunk (traces first, so a runs part implies its traces are there).

        Args:
            rows: the chunk's rows (consecutive run ids).
            trace_rows: their per-round rows (written when the store records traces, even if empty).

        Raises:
            SweepStopped: the disk refused the write (full, read-only, gone); the message says which file.

        """
        first = min(r["run_id"] for r in rows)
        meta = _metadata({**self.meta, "first_run": first})
        path = self.parts / f"runs-{first:010d}.parquet"
        try:
            if self.traces:
                tframe = pd.DataFrame(trace_rows)
                ttable = pa.Table.from_pandas(tframe, preserve_index=False)
                path = self.parts / f"traces-{first:010d}.parquet"
                self._write_table(ttable.replace_schema_metadata(meta), path)
            table = _table(rows, self.schema)
            path = self.parts / f"runs-{first:010d}.parquet"
            self._write_table(table.replace_schema_metadata(meta), path)
        except OSError as err:
            raise SweepStopped(f"cannot write {shown_path(path)} ({_reason(err)})") from None
        self.kept += len(rows)

    # -- merging ------------------------------------------------------------------------------------------

    def kept_on_disk(self) -> int:
        """The runs its part files hold now: what a stop message reports.

        A signal that lands between a part's rename and :attr:`kept`'s update must not make the message
        understate what is on disk.
        """
        total = 0
        for _, path in self._valid_runs_parts():
            try:
                total += pq.read_metadata(path).num_rows
            except (OSError, pa.ArrowException):  # unreadable: checked (and rejected) when resumed
                continue
        return max(total, self.kept)

    def _valid_runs_parts(self) -> list[tuple[int, Path]]:
        """The runs parts by name (first run id, path), in order; their contents are checked by the caller."""
        out: list[tuple[int, Path]] = []
        if not self.parts.is_dir():
            return out
        for name in sorted(os.listdir(self.parts)):
            m = PART.match(name)
            if m and m.group(1) == "runs":
                out.append((int(m.group(2)), self.parts / name))
        return out

    def merge(self) -> Summary:
        """Merge the parts into ``runs.parquet`` (and ``traces.parquet``), in run-id order, each run once.

        The parts are streamed (memory stays flat however many runs there are); ``runs.parquet`` is written
        last, so its presence means the sweep is finished.

        Returns:
            The number of runs, how many agreed and how many raised.

        Raises:
            SweepStopped: a run is missing or twice (a part changed under the sweep), or the disk refused.

        """
        try:
            parts = self._valid_runs_parts()
            with _Orphans() as orphans:  # the merge's temporary files go even if this process is SIGKILLed
                if self.traces:
                    self._merge_traces([first for first, _ in parts], orphans)
                return self._merge_runs(parts, orphans)
        except OSError as err:
            raise SweepStopped(f"cannot merge the parts into {shown_path(self.out)} ({_reason(err)})") from None

    def _merge_runs(self, parts: list[tuple[int, Path]], orphans: _Orphans) -> Summary:
        target = self.out / "runs.parquet"
        schema = self.schema.with_metadata(_metadata(self.meta))
        expected, agreed, errors = 0, 0, 0
        tmp = orphans.temporary(self.out, ".parquet")
        try:
            with pq.ParquetWriter(tmp, schema) as writer:
                batch: list[pa.Table] = []
                rows = 0
                for first, path in parts:
                    try:
                        table = self._check_runs_part(path, first)
                    except ValueError as why:
                        raise SweepStopped(f"{shown_path(path)} changed during the sweep ({why}); rerun with "
                                           "--resume to redo its runs") from None
                    if first != expected:
                        gap = f"runs {expected}–{first - 1} are missing" if first > expected else \
                            f"run {first} is in two parts"
                        raise SweepStopped(f"{self.shown}: cannot vouch for the merge ({gap}); rerun with --resume")
                    count = table.num_rows
                    agreed += int(pc.sum(table.column("agreed")).as_py() or 0)
                    errors += int(pc.sum(pc.not_equal(table.column("error"), "")).as_py() or 0)
                    batch.append(table)
                    rows += count
                    expected = first + count
                    if rows >= MERGE_BATCH_ROWS:
                        writer.write_table(pa.concat_tables(batch).combine_chunks(), row_group_size=MERGE_BATCH_ROWS)
                        batch, rows = [], 0
                if batch:
                    writer.write_table(pa.concat_tables(batch).combine_chunks(), row_group_size=MERGE_BATCH_ROWS)
            if expected != self.sweep.n_runs:
                raise SweepStopped(f"{self.shown}: runs {expected}–{self.sweep.n_runs - 1} are missing; rerun "
                                   "with --resume")
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return Summary(self.sweep.n_runs, agreed, errors, target)

    def _merge_traces(self, firsts: list[int], orphans: _Orphans) -> None:
        paths = [self.parts / f"traces-{first:010d}.parquet" for first in firsts]
        schemas = []
        for path in paths:
            if _regular_size(path) is None:
                raise SweepStopped(f"{shown_path(path)} is missing; rerun with --resume to redo its runs")
            schema = pq.read_schema(path).remove_metadata()
            if len(schema):
                schemas.append(schema)
        unified = pa.unify_schemas(schemas, promote_options="permissive") if schemas else pa.schema([])
        tmp = orphans.temporary(self.out, ".parquet")
        try:
            with pq.ParquetWriter(tmp, unified.with_metadata(_metadata(self.meta))) as writer:
                for path in paths:
                    table = pq.read_table(path)
                    if not table.num_rows:
                        continue
                    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
                               else pa.nulls(table.num_rows, f.type) for f in unified]
                    table = pa.Table.from_arrays(columns, schema=unified)
                    if "round" in unified.names:
                        table = table.sort_by([("run_id", "ascending"), ("round", "ascending")])
                    writer.write_table(table)
            os.replace(tmp, self.out / "traces.parquet")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


_REMOVE_AT_EOF = """import os, sys
names = sys.stdin.buffer.read().split(b"\\0")  # until the sweep closes the pipe: when it is done, or dead
for name in names:
    if os.path.basename(name).startswith(b".tmp-"):
        try:
            os.unlink(name)
        except OSError:
            pass
"""


class _Orphans:
    """Temporary files that a watcher process removes once this process closes its pipe or dies (SIGKILL too).

    A temporary file is named to the watcher before it is made; on success it is renamed into place before the
    pipe closes, so the watcher finds nothing to remove. Without a watcher (no interpreter to start), a file a
    kill leaves is removed by the next ``--resume``.
    """

    def __init__(self) -> None:
        self.watcher: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Orphans:
        try:  # its own session: Ctrl-C or a closed terminal stop the sweep, which cleans up itself
            self.watcher = subprocess.Popen([sys.executable, "-I", "-S", "-c", _REMOVE_AT_EOF],
                                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:
            self.watcher = None
        return self

    def temporary(self, folder: Path, suffix: str) -> str:
        """A new name for a temporary file in ``folder``, handed to the watcher before the file exists."""
        name = os.fspath(folder / f".tmp-{os.getpid()}-{secrets.token_hex(6)}{suffix}")
        if self.watcher is not None and self.watcher.stdin is not None:
            try:
                self.watcher.stdin.write(os.fsencode(name) + b"\0")  # a name holds no NUL (see _check_folder)
                self.watcher.stdin.flush()
            except OSError:  # the watcher is gone: the next --resume removes what a kill leaves
                pass
        return name

    def __exit__(self, *exc: object) -> None:
        if self.watcher is None:
            return
        with contextlib.suppress(OSError):
            self.watcher.stdin.close()  # type: ignore[union-attr]
        try:
            self.watcher.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - it only lists and unlinks a few names
            self.watcher.kill()


def _reason(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "no space left on the disk"
    if err.errno == errno.EROFS:
        return "the disk is read-only"
    return err.strerror or str(err) or err.__class__.__name__
