"""Sweeps: results independent of how (and how often) they were computed; dying workers lose nothing."""

import contextlib
import json
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from experiments.checks import MANY, MANY_RUNS
from experiments.checks import write_sweep as write
from helpers import BASELINE

import negotiation.experiments.runner as runner
from negotiation.experiments.runner import execute, sweep
from negotiation.experiments.sampling import replicate_seed
from negotiation.experiments.store import SweepStopped, result_columns
from negotiation.experiments.sweepfile import load_sweep
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario, with_overrides

SMALL = """replicates = 3
seed = 4
samples = 2
[grid]
"deal.equity_fraction" = [0.01, 0.02]
[sample]
"agents.japan.outside_option_share" = { dist = "uniform", low = 0.0, high = 0.4 }
"protocol.information" = { dist = "choice", values = ["complete", "incomplete"] }
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    path = write(folder, SMALL)
    return path, sweep(path, folder / "one", workers=1, progress=False)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many")
    path = write(folder, MANY)
    return path, sweep(path, folder / "one", workers=1, progress=False)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0",
                      processes=True, silence_logs=50) as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        yield c


def test_one_row_per_run_with_the_varied_keys_and_results(small):
    path, frame = small
    sw = load_sweep(path)
    assert sw.n_runs == 2 * 2 * 3 == len(frame)
    assert frame["run_id"].tolist() == list(range(sw.n_runs))
    assert list(frame.columns) == ["run_id", "point", "replicate", "seed", *sw.varied_keys,
                                   *result_columns(sw.base)]
    assert (frame["error"] == "").all() and frame["agreed"].all()
    assert frame["us_profit_share"].between(0, 1).all()
    assert frame["agents.japan.outside_option_share"].between(0.0, 0.4).all()


def test_two_workers_give_the_same_frame(small, tmp_path):
    path, frame = small
    pd.testing.assert_frame_equal(frame, sweep(path, tmp_path / "two", workers=2, progress=False))


def test_dask_local_cluster_gives_the_same_frame(small, cluster, tmp_path):
    path, frame = small
    pd.testing.assert_frame_equal(frame, sweep(path, tmp_path / "dask", scheduler=cluster.scheduler_address,
                                               progress=False))


def test_seeds_are_common_across_points_and_replay_exactly(small):
    path, frame = small
    sw = load_sweep(path)
    for r, group in frame.groupby("replicate"):
        assert set(group["seed"]) == {replicate_seed(sw.file.seed, r)}
    row = frame.iloc[7]
    spec = with_overrides(load_scenario(BASELINE), {k: row[k].item() if hasattr(row[k], "item") else row[k]
                                                    for k in sw.varied_keys})
    result = NegotiationModel(spec, rng=int(row["seed"]), collect_data=False).run(solve=False)
    assert result.steps == row["steps"]
    assert result.package.us_profit_share == row["us_profit_share"]
    assert (frame["steps"] <= frame["deadline_rounds"]).all()  # no run outlasts its deadline


def test_growing_the_grid_leaves_finished_runs_unchanged(tmp_path):
    head = 'replicates = 2\nseed = 9\n[grid]\n"deal.equity_fraction" = '
    a = sweep(write(tmp_path, head + "[0.015]\n", "a.toml"), workers=1, progress=False)
    b = sweep(write(tmp_path, head + "[0.015, 0.02]\n", "b.toml"), workers=1, progress=False)
    same = b[b["deal.equity_fraction"] == 0.015].reset_index(drop=True)
    cols = [c for c in a.columns if c not in ("run_id", "point")]
    pd.testing.assert_frame_equal(a[cols], same[cols])


def test_a_run_that_raises_becomes_a_row_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real = NegotiationModel.run

    def flaky(self, *args, **kwargs):
        if self.spec.deal.equity_fraction > 0.015:
            raise RuntimeError("boom")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(NegotiationModel, "run", flaky)
    frame = sweep(write(tmp_path, '[grid]\n"deal.equity_fraction" = [0.01, 0.02]\n'), workers=1, progress=False)
    bad = frame["deal.equity_fraction"] > 0.015
    assert frame.loc[bad, "error"].str.contains("RuntimeError: boom").all()
    assert (frame.loc[~bad, "error"] == "").all() and frame.loc[~bad, "agreed"].all()
    assert not frame.loc[bad, "agreed"].any() and (frame.loc[bad, "outcome"] == "error").all()


def test_workers_beyond_the_machine_are_refused(cli, small, tmp_path):
    from experiments.checks import assert_one_line

    path, _ = small
    assert_one_line(cli("sweep", path, "--workers", "100000", "--out", tmp_path / "o"), 2, "--workers 100000")
    assert not (tmp_path / "o").exists()


def _when_parts_appear(out, action, count=1):
    def watch():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list((Path(out) / "parts").glob("runs-*.parquet"))) >= count:
                action()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _pool_workers():
    """The pids of the local pool's workers: the children of this process's fork server."""
    from multiprocessing import forkserver

    server = forkserver._forkserver._forkserver_pid
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == server:
                pids.append(int(entry))
    return pids


@pytest.mark.slow
def test_a_killed_local_worker_is_detected_and_its_chunks_rerun_exactly_once(many, tmp_path):
    path, frame = many
    out = tmp_path / "out"
    notes = []
    killed = []

    def kill_one():
        pids = _pool_workers()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    _when_parts_appear(out, kill_one, count=2)
    summary = execute(load_sweep(path), out, workers=2, progress=False, notify=notes.append)
    assert killed, "no worker was found to kill"
    assert any("a worker process died" in n and "run again" in n for n in notes), notes
    assert summary.runs == MANY_RUNS and not summary.already_finished
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


def test_a_chunk_that_keeps_killing_its_worker_stops_the_sweep_in_one_line(tmp_path, monkeypatch):
    path = write(tmp_path, "replicates = 4\n")
    monkeypatch.setattr(runner, "run_chunk", _die)  # every worker that takes a chunk dies
    with pytest.raises(SweepStopped) as err:
        execute(load_sweep(path), tmp_path / "out", workers=2, progress=False, notify=lambda _m: None)
    assert "died 3 times" in str(err.value) and "--resume" in str(err.value) and err.value.exit_code == 1
    assert len(str(err.value).splitlines()) == 1


def _die(*_args):
    os._exit(9)


@pytest.mark.slow
def test_a_dask_worker_dying_mid_sweep_still_gives_every_run_exactly_once(many, cluster, tmp_path):
    path, frame = many
    out = tmp_path / "out"
    victim = list(cluster.workers.values())[0].process.pid
    _when_parts_appear(out, lambda: os.kill(victim, signal.SIGKILL), count=2)
    execute(load_sweep(path), out, scheduler=cluster.scheduler_address, progress=False)
    parts = pd.concat([pd.read_parquet(p) for p in (out / "parts").glob("runs-*.parquet")])
    assert sorted(parts["run_id"]) == list(range(MANY_RUNS))  # each run stored exactly once
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


@pytest.mark.slow
def test_a_lost_dask_scheduler_ends_in_one_line_and_the_folder_resumes(many, tmp_path):
    from distributed import LocalCluster

    path, frame = many
    out = tmp_path / "out"
    lost = LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0",
                        processes=True, silence_logs=50)
    try:
        _when_parts_appear(out, lambda: lost.loop.add_callback(lost.scheduler.close))
        start = time.monotonic()
        with pytest.raises(SweepStopped) as err:
            execute(load_sweep(path), out, scheduler=lost.scheduler_address, progress=False)
        assert time.monotonic() - start < 30
    finally:  # a cluster whose scheduler is gone takes 30 s to close politely: stop its worker at once
        for nanny in lost.workers.values():
            if nanny.process is not None and nanny.process.pid:
                with contextlib.suppress(OSError):
                    os.kill(nanny.process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            lost.close(timeout=1)
    message = str(err.value)
    assert "lost the Dask scheduler" in message and "--resume" in message and len(message.splitlines()) == 1
    execute(load_sweep(path), out, workers=1, resume=True, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


@pytest.mark.slow
def test_a_lost_dask_scheduler_ends_the_command_in_one_line_without_distributeds_log(tmp_path):
    """The command as a user runs it (a fresh process, so distributed configures its loggers when imported)."""
    import subprocess
    import sys

    from distributed import LocalCluster

    path = write(tmp_path, "replicates = 320\nseed = 3\n")  # parts of 20 runs: the first within a second
    out = tmp_path / "out"
    lost = LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0",
                        processes=True, silence_logs=50)
    proc = subprocess.Popen([sys.executable, "-m", "negotiation.cli", "sweep", str(path), "--scheduler",
                             lost.scheduler_address, "--out", str(out), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "parts").glob("runs-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)
        lost.loop.add_callback(lost.scheduler.close)
        closed = time.monotonic()
        _, err = proc.communicate(timeout=60)
        assert time.monotonic() - closed < 10
    finally:
        proc.kill()
        for nanny in lost.workers.values():
            if nanny.process is not None and nanny.process.pid:
                with contextlib.suppress(OSError):
                    os.kill(nanny.process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            lost.close(timeout=1)
    lines = err.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 2 and lines[0].startswith("chipdeal sweep:"), err
    assert lines[1].startswith("chipdeal: lost the Dask scheduler (") and "--resume" in lines[1], err


def test_an_unreachable_scheduler_is_one_line(cli, small, tmp_path):
    from experiments.checks import assert_one_line

    path, _ = small
    assert_one_line(cli("sweep", path, "--scheduler", "not a url::", "--out", tmp_path / "o"), 2, "--scheduler",
                    seconds=15)


def test_a_sweep_where_the_lenders_fund_nothing_has_no_sentinel_in_fundable_share(tmp_path, capsys):
    from negotiation.cli import main

    path = write(tmp_path, '[grid]\n"deal.equity_fraction" = [0.015, 0.12]\n')  # 12%: nobody funds it
    frame = sweep(path, tmp_path / "out", workers=1, progress=False).set_index("deal.equity_fraction")
    assert 0 < frame.loc[0.015, "fundable_share"] <= 1 and frame.loc[0.015, "fundable_share_reason"] == ""
    assert pd.isna(frame.loc[0.12, "fundable_share"]) and "fund no share" in frame.loc[0.12, "fundable_share_reason"]
    assert not frame.loc[0.12, "agreed"]
    assert main(["run", "--json", "--set", "deal.equity_fraction=0.12"]) == 0  # the JSON face: null and why
    out = json.loads(capsys.readouterr().out)
    assert out["fundable_share"] is None and out["fundable_share_reason"] == frame.loc[0.12, "fundable_share_reason"]
    assert main(["run", "--json"]) == 0
    base = json.loads(capsys.readouterr().out)
    assert base["fundable_share"] == frame.loc[0.015, "fundable_share"] and "fundable_share_reason" not in base
