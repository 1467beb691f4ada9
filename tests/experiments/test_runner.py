"""Sweeps: results independent of how they were computed, nothing lost, bad files refused up front."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import BASELINE, ROOT, chipdeal, write_batch_file

from negotiation.experiments.runner import sweep
from negotiation.experiments.sweepfile import load_sweep, replicate_seed
from negotiation.model import NegotiationModel
from negotiation.scenario import load_scenario, with_overrides

SMALL = """replicates = 3
seed = 4
samples = 2
[grid]
"deal.equity_fraction" = [0.05, 0.12]
[sample]
"agents.us.relief_cost_weight" = { dist = "uniform", low = 0.2, high = 1.0 }
"agents.japan.concession_beta" = { dist = "choice", values = [1.0, 3.0] }
"""



@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    path = write_batch_file(folder, SMALL)
    return path, sweep(path, folder / "one", workers=1, progress=False)


def test_one_row_per_run_with_the_varied_keys_and_results(small):
    path, frame = small
    sw = load_sweep(path)
    assert sw.n_runs == 2 * 2 * 3 == len(frame)
    assert frame["run_id"].tolist() == list(range(sw.n_runs))
    for key in ("deal.equity_fraction", "agents.us.relief_cost_weight", "agents.japan.concession_beta"):
        assert key in frame.columns
    assert (frame["error"] == "").all() and frame["agreed"].all()
    assert frame["us_profit_share"].between(0, 1).all()
    assert (frame["tariff_relief_usd_bn_per_year"] >= 0).all()
    assert frame["agents.us.relief_cost_weight"].between(0.2, 1.0).all()


def test_two_workers_give_the_same_frame(small, tmp_path):
    path, frame = small
    pd.testing.assert_frame_equal(frame, sweep(path, tmp_path / "two", workers=2, progress=False))


def test_dask_local_cluster_gives_the_same_frame(small, tmp_path):
    from distributed import LocalCluster

    path, frame = small
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                      processes=True) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        got = sweep(path, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(frame, got)


def test_seeds_are_common_across_points_and_replay_exactly(small):
    path, frame = small
    sw = load_sweep(path)
    for r, group in frame.groupby("replicate"):
        assert set(group["seed"]) == {replicate_seed(sw.file.seed, r)}
    row = frame.iloc[7]
    keys = sw.varied_keys
    spec = with_overrides(load_scenario(BASELINE), {k: row[k].item() for k in keys})
    result = NegotiationModel(spec, rng=int(row["seed"]), collect_data=False).run(solve=False)
    assert result.steps == row["steps"]
    assert result.package.us_profit_share == row["us_profit_share"]
    assert (frame["steps"] <= frame["deadline_rounds"]).all()  # no run outlasts its deadline


def test_growing_the_grid_leaves_finished_runs_unchanged(tmp_path):
    head = 'replicates = 2\nseed = 9\n[grid]\n"deal.equity_fraction" = '
    narrow = write_batch_file(tmp_path, head + "[0.12]\n", "a.toml")
    wide = write_batch_file(tmp_path, head + "[0.12, 0.2]\n", "b.toml")
    a = sweep(narrow, workers=1, progress=False)
    b = sweep(wide, workers=1, progress=False)
    same = b[b["deal.equity_fraction"] == 0.12].reset_index(drop=True)
    cols = [c for c in a.columns if c not in ("run_id", "point")]
    pd.testing.assert_frame_equal(a[cols], same[cols])


def test_provenance_is_in_the_parquet_metadata(small, tmp_path):
    path, _ = small
    out = tmp_path / "prov"
    sweep(path, out, workers=1, progress=False)
    meta = json.loads(pq.read_schema(out / "runs.parquet").metadata[b"chipdeal"])
    assert meta["sweep_sha256"] == load_sweep(path).digest
    assert meta["master_seed"] == 4 and meta["chipdeal_version"]


def test_traces_have_one_row_per_round(tmp_path):
    path = write_batch_file(tmp_path, 'replicates = 2\nseed = 1\n')
    p = chipdeal("sweep", str(path), "--workers", "1", "--out", str(tmp_path / "out"), "--traces", "--quiet")
    assert p.returncode == 0, p.stderr
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    traces = pd.read_parquet(tmp_path / "out" / "traces.parquet")
    counts = traces.groupby("run_id").size()
    assert counts.to_dict() == dict(zip(runs["run_id"], runs["steps"], strict=True))
    last = traces.sort_values("round").groupby("run_id").tail(1).set_index("run_id").sort_index()
    assert last["accepted"].all()
    assert (last["us_profit_share"].values == runs.set_index("run_id")["us_profit_share"].values).all()


def test_a_run_that_raises_becomes_a_row_and_the_sweep_goes_on(tmp_path):
    # equity fraction drawn from [0.9, 1.1]: draws above 1 are invalid scenarios. Pick a master seed whose
    # first draw is valid, so the sweep passes its up-front check and fails only in some runs.
    from negotiation.experiments.sweepfile import SweepError

    for seed in range(50):
        path = write_batch_file(tmp_path, f'seed = {seed}\nsamples = 12\n[sample]\n'
                           '"deal.equity_fraction" = {{ dist = "uniform", low = 0.9, high = 1.1 }}\n'.replace(
                               "{{", "{").replace("}}", "}"))
        try:
            load_sweep(path)
        except SweepError:
            continue
        break
    frame = sweep(path, workers=1, progress=False)
    bad = frame["deal.equity_fraction"] > 1
    assert bad.any() and (~bad).any()
    assert frame.loc[bad, "error"].str.contains("equity_fraction").all()
    assert (frame.loc[~bad, "error"] == "").all()
    assert not frame.loc[bad, "agreed"].any() and (frame.loc[bad, "outcome"] == "error").all()


@pytest.mark.parametrize("body, words", [
    ('[grid]\n"deal.not_a_key" = [1]\n', "unknown key"),
    ('[grid]\n"deal.equity_fraction" = []\n', "no values"),
    ('[grid]\n"deal.equity_fraction" = [2.0]\n', "equity_fraction"),
    ('samples = 3\n[sample]\n"deal.equity_fraction" = { dist = "poisson", lam = 1 }\n', "unknown distribution"),
    ('samples = 3\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = 0.3, high = 0.1 }\n', "must exceed"),
    ('[sample]\n"deal.equity_fraction" = { dist = "uniform", low = 0.1, high = 0.3 }\n', "samples"),
    ('replicates = 0\n', "replicates"),
    ('colour = "blue"\n', "unknown key"),
])
def test_a_bad_sweep_file_exits_2_with_one_line_before_any_run(tmp_path, body, words):
    path = write_batch_file(tmp_path, body)
    p = chipdeal("sweep", str(path), "--workers", "1", "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_base_scenario_exits_2(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('scenario = "nowhere.toml"\nreplicates = 1\n')
    p = chipdeal("sweep", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "nowhere.toml" in p.stderr and len(p.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_killed_sweep_resumes_to_every_run_exactly_once(tmp_path):
    path = write_batch_file(tmp_path, "replicates = 1500\nseed = 3\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "negotiation.cli", "sweep", str(path), "--workers", "2",
                             "--out", str(out), "--quiet"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list((out / "parts").glob("runs-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: the CLI and its workers
    proc.wait()
    done_before = sum(pq.read_metadata(p).num_rows for p in (out / "parts").glob("runs-*.parquet"))
    assert 0 < done_before < 1500 and not (out / "runs.parquet").exists()

    p = chipdeal("sweep", str(path), "--workers", "2", "--out", str(out), "--quiet")
    assert p.returncode == 2 and "--resume" in p.stderr  # refuses to start over silently
    p = chipdeal("sweep", str(path), "--workers", "2", "--out", str(out), "--resume", "--quiet")
    assert p.returncode == 0, p.stderr
    frame = pd.read_parquet(out / "runs.parquet")
    parts = pd.concat([pd.read_parquet(p) for p in (out / "parts").glob("runs-*.parquet")])
    assert sorted(parts["run_id"]) == list(range(1500))  # each run computed exactly once, none lost
    assert frame["run_id"].tolist() == list(range(1500))
    assert (frame["error"] == "").all()
    # a resumed run is the same run: recompute a few from scratch
    spec = load_scenario(BASELINE)
    for i in (0, 700, 1499):
        r = NegotiationModel(spec, rng=int(frame.loc[i, "seed"]), collect_data=False).run(solve=False)
        assert r.package.us_profit_share == frame.loc[i, "us_profit_share"] and r.steps == frame.loc[i, "steps"]

    path.write_text(path.read_text().replace("seed = 3", "seed = 4"))
    p = chipdeal("sweep", str(path), "--out", str(out), "--resume")
    assert p.returncode == 2 and "changed" in p.stderr
