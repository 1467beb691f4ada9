"""Stopping: signals and kills at any moment keep what finished, leave no workers behind, and resume exactly.

Signals to the command run in-process (the handlers are the command's own); what needs a real process
(SIGTERM or SIGKILL to the parent alone, a closed stdout, SIGKILL at random moments) gets one.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from experiments.checks import MANY, MANY_RUNS, SWEEP_HEAD, assert_one_line, short_scenario
from helpers import ROOT

from negotiation.cli import main
from negotiation.experiments.runner import sweep

SENS = """n = 8
seed = 2
[inputs]
"deal.equity_fraction" = [0.01, 0.02]
"agents.japan.outside_option_share" = [0.0, 0.4]
"""


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    folder = tmp_path_factory.mktemp("many")
    path = folder / "s.toml"
    path.write_text(SWEEP_HEAD + MANY)
    return path, sweep(path, folder / "one", workers=1, progress=False)


def done_runs(out):
    ids = []
    for part in Path(out, "parts").glob("runs-*.parquet"):
        ids += pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
    return ids


def wait_for_parts(out, count, timeout=60):
    deadline = time.monotonic() + timeout
    while len(list(Path(out, "parts").glob("runs-*.parquet"))) < count:
        assert time.monotonic() < deadline, "no part file appeared"
        time.sleep(0.005)


def group_alive(pgid):
    """Processes still in process group ``pgid`` (zombies not counted)."""
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry))
    return alive


def pool_workers():
    from multiprocessing import forkserver

    server = forkserver._forkserver._forkserver_pid
    if server is None:
        return []
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == server and fields[0] != "Z":
                out.append(int(entry))
    return out


@pytest.fixture
def late_signals_ignored():
    """A signal that lands after the command returned must not stop pytest."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield
    for s, h in previous.items():
        signal.signal(s, h)


@pytest.mark.parametrize("signals, code", [
    ((signal.SIGINT,), 130),
    ((signal.SIGINT, signal.SIGINT), 130),  # a second Ctrl-C while stopping: no hang, no traceback
    ((signal.SIGTERM,), 143),
    ((signal.SIGHUP,), 129),
])
def test_a_signal_stops_the_sweep_fast_keeps_what_finished_and_it_resumes(cli, many, tmp_path, signals, code,
                                                                          late_signals_ignored):
    path, frame = many
    out = tmp_path / "out"
    sent = []

    def send():
        wait_for_parts(out, 2)
        for s in signals:
            sent.append(time.monotonic())
            os.kill(os.getpid(), s)
            time.sleep(0.001)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    outcome = cli("sweep", path, "--workers", "2", "--out", out, "--quiet")
    stopped = time.monotonic()
    sender.join()
    assert sent[-1] < stopped  # every signal reached the command while it ran (the second while it stopped)
    line = assert_one_line(outcome, code, f"interrupted ({signal.Signals(signals[0]).name})", "kept", "--resume",
                           seconds=60, started=True)
    assert stopped - sent[0] < 2.0
    assert f"{len(done_runs(out)):,} of {MANY_RUNS} runs are kept" in line
    deadline = time.monotonic() + 2
    while pool_workers() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pool_workers()  # no orphan keeps computing
    resumed = cli("sweep", path, "--workers", "1", "--out", out, "--quiet", "--resume")
    assert resumed.code == 0, resumed
    assert sorted(done_runs(out)) == list(range(MANY_RUNS))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


def test_a_signal_stops_a_sensitivity_run_in_one_line(cli, tmp_path, late_signals_ignored):
    spec = tmp_path / "sens.toml"
    spec.write_text(f'scenario = "{short_scenario(tmp_path)}"\n{SENS}')  # cheaper fresh points
    out = tmp_path / "out"

    def send():
        wait_for_parts(out, 1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=send, daemon=True).start()
    outcome = cli("sensitivity", spec, "--workers", "2", "--out", out, "--quiet")
    assert_one_line(outcome, 143, "interrupted (SIGTERM)", "--resume", seconds=60, started=True)
    resumed = cli("sensitivity", spec, "--workers", "2", "--out", out, "--quiet", "--resume")
    assert resumed.code == 0 and "analysing" not in resumed.err and (out / "indices.csv").is_file(), resumed


def start(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "negotiation.cli", *map(str, args)], cwd=ROOT,
                            start_new_session=True, text=True, **kw)


@pytest.mark.slow
def test_sigterm_to_the_parent_alone_stops_it_and_its_workers(cli, many, tmp_path):
    path, frame = many
    out = tmp_path / "out"
    proc = start(["sweep", path, "--workers", "2", "--out", out, "--quiet"], stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)
    wait_for_parts(out, 1)
    os.kill(proc.pid, signal.SIGTERM)  # `kill PID`: the parent only, not its group
    sent = time.monotonic()
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 3.0
    lines = stderr.strip().splitlines()
    assert proc.returncode == 143 and len(lines) == 2 and "Traceback" not in stderr, stderr
    assert "interrupted (SIGTERM)" in lines[1] and "--resume" in lines[1]
    time.sleep(0.5)
    assert not group_alive(proc.pid)  # no worker or fork server left running
    assert cli("sweep", path, "--workers", "1", "--out", out, "--quiet", "--resume").code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


@pytest.mark.slow
def test_sighup_to_the_whole_group_as_a_closed_terminal_sends_it_is_one_line(many, tmp_path):
    path, _ = many
    out = tmp_path / "out"
    proc = start(["sweep", path, "--workers", "2", "--out", out, "--quiet"], stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)
    wait_for_parts(out, 1)
    os.killpg(proc.pid, signal.SIGHUP)  # the parent, its fork server, the resource tracker and the workers
    sent = time.monotonic()
    _, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 3.0
    lines = stderr.strip().splitlines()  # the resource tracker, killed and relaunched, printed KeyErrors
    assert proc.returncode == 129 and len(lines) == 2 and "Traceback" not in stderr, stderr
    assert "interrupted (SIGHUP)" in lines[1] and "--resume" in lines[1]
    deadline = time.monotonic() + 3
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(proc.pid)


@pytest.mark.slow
def test_sigkill_to_the_parent_alone_leaves_no_orphan_workers(many, tmp_path):
    path, _ = many
    out = tmp_path / "out"
    proc = start(["sweep", path, "--workers", "2", "--out", out, "--quiet"], stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
    wait_for_parts(out, 1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 3
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(proc.pid)  # the workers die with their fork server, which dies with the parent


SLOW_MERGE = """import sys, time
import pyarrow.parquet as pq
real = pq.ParquetWriter.write_table
def slow(self, *args, **kwargs):  # hold the merge (not a part file) open
    if "parts" not in str(self.where):
        time.sleep(60)
    return real(self, *args, **kwargs)
pq.ParquetWriter.write_table = slow
from negotiation.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_sigkill_in_the_merge_leaves_no_temporary_file_in_the_output_folder(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SWEEP_HEAD + "replicates = 20\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_MERGE, "sweep", str(path), "--workers", "1", "--out",
                             str(out), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(out.glob(".tmp-*.parquet")):  # the merge has begun writing runs.parquet's temporary file
        assert time.monotonic() < deadline and proc.poll() is None, "the merge never started"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 3
    while list(out.glob(".tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not list(out.glob(".tmp-*")), list(out.iterdir())  # it stayed there until the next --resume
    assert not (out / "runs.parquet").exists() and sorted(done_runs(out)) == list(range(20))  # killed in the merge
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet", "--resume"]) == 0


def test_a_closed_stdout_is_not_a_traceback(many):
    path, _ = many
    folder = Path(path).parent / "one"  # finished: the command prints its line at once
    proc = start(["sweep", path, "--out", folder], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head` that has already exited
    with proc.stderr:
        stderr = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_ten_sigkills_at_random_moments_then_resume_give_every_run_exactly_once(many, tmp_path):
    path, frame = many
    out = tmp_path / "out"
    rng = random.Random(20251)
    moments = []
    for _ in range(10):
        resume = (out / "sweep.json").exists()
        args = ["sweep", str(path), "--workers", "1", "--out", str(out), "--quiet", *(["--resume"] if resume else [])]
        pid = os.fork()
        if pid == 0:  # a real process, already imported: it works at once, and is killed at once
            try:
                os._exit(main(args))
            finally:
                os._exit(99)
        delay = rng.uniform(0.05, 1.0)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        moments.append((delay, len(done_runs(out))))
    assert any(0 < n < MANY_RUNS for _, n in moments), moments  # some kills landed half-way through the sweep
    resume = ["--resume"] if (out / "sweep.json").exists() else []
    assert main(["sweep", str(path), "--workers", "2", "--out", str(out), "--quiet", *resume]) == 0
    assert sorted(done_runs(out)) == list(range(MANY_RUNS))  # every run computed and kept exactly once
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)
