"""Beyond one machine: a Dask cluster reached through a scheduler file, and big sweeps in few part files.

The cluster is a real one on loopback TCP (a scheduler and two workers in this process), reached the way
a SLURM job reaches its own: through the scheduler file the scheduler wrote. The sweep runs through the
command line's ``main()`` in-process and must give the local pool's rows exactly.
"""

import json
import math
import os
import signal
import socket
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from experiments.checks import MANY, MANY_RUNS, SWEEP_HEAD, assert_one_line, quick_calibration
from experiments.checks import write_sweep as write

import negotiation.experiments.executors as executors
import negotiation.experiments.runner as runner
from negotiation.cli import main
from negotiation.experiments.runner import chunk_size, missing_ranges, sweep

SMALL = """replicates = 3
seed = 4
samples = 2
[grid]
"deal.equity_fraction" = [0.01, 0.02]
[sample]
"agents.japan.outside_option_share" = { dist = "uniform", low = 0.0, high = 0.4 }
"""


def parts(out):
    return sorted((Path(out) / "parts").glob("runs-*.parquet"))


def run_ids(out):
    ids = []
    for part in parts(out):
        ids += pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
    return ids


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    path = write(folder, SMALL)
    return path, sweep(path, folder / "one", workers=1, progress=False)


@pytest.fixture(scope="module")
def scheduler_file(tmp_path_factory):
    """A loopback cluster (TCP, two in-process workers, dashboard on a free port) and the file naming it."""
    from distributed import Client, LocalCluster

    path = tmp_path_factory.mktemp("cluster") / "scheduler.json"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=":0", silence_logs=50) as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.write_scheduler_file(str(path))
        assert json.loads(path.read_text())["address"].startswith("tcp://127.0.0.1:")
        yield path


def test_a_sweep_through_a_scheduler_file_gives_the_local_pools_rows(cli, small, scheduler_file, tmp_path):
    path, frame = small
    out = tmp_path / "dask"
    outcome = cli("sweep", path, "--scheduler-file", scheduler_file, "--out", out, "--quiet")
    assert outcome.code == 0, outcome
    assert f"on Dask scheduler of {scheduler_file}" in outcome.err, outcome.err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)
    pd.testing.assert_frame_equal(sweep(path, tmp_path / "pool", workers=2, progress=False), frame)


def test_a_sensitivity_study_runs_through_a_scheduler_file(cli, scheduler_file, tmp_path):
    spec = tmp_path / "sens.toml"
    spec.write_text(SWEEP_HEAD + 'method = "ofat"\nlevels = 3\nseed = 1\n[inputs]\n'
                    '"deal.equity_fraction" = [0.01, 0.02]\n')
    outcome = cli("sensitivity", spec, "--scheduler-file", scheduler_file, "--out", tmp_path / "o", "--quiet")
    assert outcome.code == 0, outcome
    assert "Traceback" not in outcome.err
    assert len(pd.read_parquet(tmp_path / "o" / "runs.parquet")) == 3
    assert (tmp_path / "o" / "summary.md").is_file()


def test_a_calibration_through_a_scheduler_file_gives_the_in_process_posterior(scheduler_file, tmp_path):
    from negotiation.experiments.calibrate import calibrate

    spec = quick_calibration(tmp_path / "spec")
    here = calibrate(spec, tmp_path / "here", workers=1, progress=False, population=10, generations=1)
    there = calibrate(spec, tmp_path / "dask", scheduler_file=scheduler_file, progress=False, population=10,
                      generations=1)
    pd.testing.assert_frame_equal(here.posterior, there.posterior)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["sweep", "calibrate"])
@pytest.mark.parametrize("content,words", [
    (None, ["no such file", "is the scheduler started"]),
    ("not json {", ["not a Dask scheduler file"]),
    ('{"id": "x"}', ["not a Dask scheduler file", "address"]),
    ("dead", ["no Dask scheduler answered", "within 1 s"]),
])
def test_a_missing_bad_or_silent_scheduler_file_is_one_line_before_anything_is_written(
        cli, small, tmp_path, monkeypatch, command, content, words):
    from helpers import ROOT

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    file = tmp_path / "scheduler.json"
    if content == "dead":  # a scheduler file whose scheduler has gone: nothing listens on its port
        file.write_text(json.dumps({"address": f"tcp://127.0.0.1:{_free_port()}", "type": "Scheduler"}))
    elif content is not None:
        file.write_text(content)
    target = small[0] if command == "sweep" else ROOT / "runs" / "calibration" / "baseline.toml"
    out = tmp_path / "out"
    line = assert_one_line(cli(command, target, "--scheduler-file", file, "--out", out, "--quiet"), 2,
                           "--scheduler-file", *words, seconds=8)
    assert str(file) in line
    assert not out.exists()  # nothing written: no half-made folder to resume or overwrite


@pytest.mark.parametrize("command", ["sweep", "sensitivity", "calibrate"])
@pytest.mark.parametrize("address", ["foo", ""])
def test_a_malformed_scheduler_address_is_one_line_and_leaves_no_client_running(cli, small, tmp_path, command,
                                                                                 address):
    import threading

    from helpers import ROOT

    target = {"sweep": small[0], "sensitivity": ROOT / "runs" / "sweeps" / "sobol.toml",
              "calibrate": ROOT / "runs" / "calibration" / "baseline.toml"}[command]
    before = set(threading.enumerate())
    out = tmp_path / "out"
    assert_one_line(cli(command, target, "--scheduler", address, "--out", out, "--quiet"), 2,
                    f"--scheduler {address or repr(address)}: ", "missing port number", seconds=5)
    # a half-started client kept its event loop's thread; at exit its __del__ waited 20 s for it, then printed
    # a TimeoutError traceback
    assert not [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not out.exists()


def test_a_malformed_scheduler_address_ends_the_process_in_one_line_in_seconds(small, tmp_path):
    import subprocess
    import sys

    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "negotiation.cli", "sweep", str(small[0]), "--scheduler", "foo",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - start < 10  # 20 s more, and a traceback at exit, before
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["chipdeal: error: --scheduler foo: cannot reach a Dask scheduler "
                                        "(ValueError: missing port number in address 'foo')"]


def test_scheduler_and_scheduler_file_are_one_or_the_other(cli, small, tmp_path):
    assert_one_line(cli("sweep", small[0], "--scheduler", "tcp://127.0.0.1:1", "--scheduler-file",
                        tmp_path / "s.json"), 2, "--scheduler-file", "--scheduler")


# ---------------------------------------------------------------------------------------------------------
# Part files: few for a big sweep, whatever their size the same rows


@pytest.mark.parametrize("runs", [10, 10_000, 100_000, 1_000_000, 10_000_000])
@pytest.mark.parametrize("workers", [1, 2, 64, 1024])
def test_a_sweep_writes_a_few_hundred_parts_at_most(runs, workers):
    size = chunk_size(runs, workers)
    count = sum(1 for _ in missing_ranges(np.zeros(runs, dtype=bool), size))
    assert count == math.ceil(runs / size)
    assert count <= max(runner.TARGET_PARTS, workers, math.ceil(runs / runner.MAX_PART_RUNS))
    if runs <= 1_000_000 and workers <= runner.TARGET_PARTS:
        assert count <= runner.TARGET_PARTS  # 10⁶ runs: 256 parts, not 5,000
    assert size <= runner.MAX_PART_RUNS
    assert count >= 0.9 * min(runs, workers)  # (nearly) every worker gets work


def test_a_resume_of_a_big_sweep_spreads_what_is_left_over_the_workers():
    done = np.ones(1_000_000, dtype=bool)
    done[500_000:501_000] = False
    size = chunk_size(1_000, 4, total=1_000_000)
    assert len(list(missing_ranges(done, size))) == 4


def test_the_part_size_changes_no_row(small, tmp_path, monkeypatch):
    path, frame = small
    monkeypatch.setattr(runner, "MAX_CHUNK_RUNS", 1)
    monkeypatch.setattr(runner, "TARGET_PARTS", 2)  # 12 runs in 2 parts of 6
    pd.testing.assert_frame_equal(sweep(path, tmp_path / "two", workers=2, progress=False), frame)
    assert [len(pq.read_table(p)) for p in parts(tmp_path / "two")] == [6, 6]
    monkeypatch.setattr(runner, "TARGET_PARTS", 10_000)  # 12 parts of one run
    pd.testing.assert_frame_equal(sweep(path, tmp_path / "twelve", workers=2, progress=False), frame)
    assert len(parts(tmp_path / "twelve")) == 12


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_sweep_killed_between_big_parts_loses_only_unfinished_parts_and_resumes(tmp_path, monkeypatch):
    path = write(tmp_path, MANY)
    frame = sweep(path, tmp_path / "one", workers=1, progress=False)
    monkeypatch.setattr(runner, "TARGET_PARTS", 4)  # the runs in 4 parts
    out = tmp_path / "out"
    args = ["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet"]
    pid = os.fork()
    if pid == 0:  # a real process, killed outright once its first part is written
        try:
            os._exit(main(args))
        finally:
            os._exit(99)
    deadline = time.monotonic() + 60
    while not parts(out) and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    kept = run_ids(out)
    assert kept and len(kept) < MANY_RUNS and len(kept) % (MANY_RUNS // 4) == 0, len(kept)  # whole parts only
    assert main([*args, "--resume"]) == 0
    assert sorted(run_ids(out)) == list(range(MANY_RUNS))  # each run kept exactly once
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


def test_workers_that_join_a_running_sweep_get_work(tmp_path, monkeypatch):
    """A SLURM job's workers start after its scheduler: the chunks in flight grow with the workers there are."""
    import threading

    from distributed import LocalCluster

    from negotiation.experiments.runner import execute
    from negotiation.experiments.sweepfile import load_sweep

    path = write(tmp_path, MANY)
    out = tmp_path / "out"
    asked: list[int] = []
    take = runner._take
    monkeypatch.setattr(runner, "_take", lambda it, n: asked.append(n) or take(it, n))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=":0", silence_logs=50) as cluster:
        def grow():
            deadline = time.monotonic() + 60
            while not parts(out) and time.monotonic() < deadline:
                time.sleep(0.002)
            cluster.scale(3)

        threading.Thread(target=grow, daemon=True).start()
        summary = execute(load_sweep(path), out, scheduler=cluster.scheduler_address, progress=False)
        executed = [w.state.executed_count for w in cluster.workers.values()]
    assert summary.runs == MANY_RUNS and sorted(run_ids(out)) == list(range(MANY_RUNS))
    assert asked[0] == 4 and max(asked) > 4, asked  # one worker's window at the start, then a wider one
    assert len(executed) == 3 and min(executed) >= 1, executed
