"""The sweep folder: nothing foreign merged, nothing silently overwritten, store faults end in one line."""

import contextlib
import errno
import hashlib
import json
import os
import shutil
import subprocess

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from experiments.checks import SWEEP_HEAD, assert_one_line

import negotiation.experiments.runner as runner
import negotiation.experiments.store as store
from negotiation.experiments.sweepfile import load_sweep

BODY = 'replicates = 15\nseed = 6\n[grid]\n"protocol.information" = ["complete", "incomplete"]\n'


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A finished 30-run sweep (15 part files), its file and its frame."""
    folder = tmp_path_factory.mktemp("made")
    path = folder / "s.toml"
    path.write_text(SWEEP_HEAD + BODY)
    out = folder / "out"
    runner.execute(load_sweep(path), out, workers=1, progress=False)
    return path, out, pd.read_parquet(out / "runs.parquet")


@pytest.fixture
def unfinished(made, tmp_path):
    """A copy of the sweep's folder without its merged file (as if killed just before the merge)."""
    path, out, frame = made
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "runs.parquet").unlink()
    mine = tmp_path / "s.toml"  # the same sweep (a test may change its copy)
    shutil.copy(path, mine)
    return mine, copy, frame


def sweep_cli(cli, path, out, *more):
    return cli("sweep", path, "--workers", "1", "--out", out, "--quiet", *more)


def parts(out):
    return sorted((out / "parts").glob("runs-*.parquet"))


def other_sweep_part(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(SWEEP_HEAD + BODY.replace("seed = 6", "seed = 7"))
    runner.execute(load_sweep(other), tmp_path / "other", workers=1, progress=False)
    return parts(tmp_path / "other")[1]


def with_meta(table, **changes):
    meta = json.loads(table.schema.metadata[b"chipdeal"])
    meta.update(changes)
    return table.replace_schema_metadata({b"chipdeal": json.dumps(meta).encode()})


def corrupt(kind, victim, tmp_path):
    data = victim.read_bytes()
    if kind == "truncated":
        victim.write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        victim.write_bytes(b"")
    elif kind == "garbage":
        victim.write_bytes(os.urandom(len(data)))
    elif kind == "wrong schema":
        pq.write_table(pa.table({"run_id": [2, 3], "x": [1.0, 2.0]}), victim)
    elif kind == "from another sweep":
        shutil.copy(other_sweep_part(tmp_path), victim)
    elif kind == "from other code":
        pq.write_table(with_meta(pq.read_table(victim), code_fingerprint="0" * 16), victim)
    elif kind == "renamed":
        victim.rename(victim.with_name("runs-0000000003.parquet"))
    elif kind == "a FIFO":
        victim.unlink()
        os.mkfifo(victim)
    elif kind == "a folder":
        victim.unlink()
        victim.mkdir()


KINDS = ["truncated", "empty", "garbage", "wrong schema", "from another sweep", "from other code", "renamed",
         "a FIFO", "a folder"]


@pytest.mark.parametrize("kind", KINDS)
def test_resume_verifies_every_part_and_reruns_a_bad_ones_runs(cli, unfinished, tmp_path, kind):
    path, out, frame = unfinished
    corrupt(kind, parts(out)[1], tmp_path)
    outcome = sweep_cli(cli, path, out, "--resume")
    assert outcome.code == 0, outcome
    assert "Traceback" not in outcome.err
    notes = [line for line in outcome.err.splitlines() if "failed their check" in line]
    assert len(notes) == 1 and "their runs will run again" in notes[0], outcome.err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)
    assert any((out / "rejected").iterdir())


@pytest.mark.parametrize("manifest", ["garbage", "empty", "a folder", "a FIFO", "[1, 2]"])
def test_a_corrupt_manifest_does_not_stop_resume_and_never_lets_a_fresh_run_overwrite(cli, unfinished, manifest):
    path, out, frame = unfinished
    target = out / "sweep.json"
    target.unlink()
    if manifest == "a folder":
        target.mkdir()
    elif manifest == "a FIFO":
        os.mkfifo(target)
    else:
        target.write_text({"garbage": "{not json", "empty": ""}.get(manifest, manifest))
    assert_one_line(sweep_cli(cli, path, out), 2, "already holds", "--overwrite")
    outcome = sweep_cli(cli, path, out, "--resume")
    assert outcome.code == 0 and "sweep.json" in outcome.err and "Traceback" not in outcome.err, outcome
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


def test_a_folder_holding_only_a_runs_parquet_is_never_overwritten_without_overwrite(cli, made, tmp_path):
    path, out, frame = made
    keep = tmp_path / "mine"
    keep.mkdir()
    shutil.copy(out / "runs.parquet", keep / "runs.parquet")
    before = (keep / "runs.parquet").read_bytes()
    assert_one_line(sweep_cli(cli, path, keep), 2, "runs.parquet", "--overwrite")
    assert_one_line(sweep_cli(cli, path, keep, "--resume"), 2, "--overwrite")
    assert (keep / "runs.parquet").read_bytes() == before
    assert sweep_cli(cli, path, keep, "--overwrite").code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(keep / "runs.parquet"), frame)


def test_a_finished_sweep_says_so_and_is_left_alone(cli, made):
    path, out, _ = made
    stamps = {p: p.stat().st_mtime_ns for p in (out / "parts").iterdir()}
    for more in ((), ("--resume",)):
        outcome = sweep_cli(cli, path, out, *more)
        assert outcome.code == 0 and "already finished" in outcome.out and "--overwrite" in outcome.out, outcome
        assert "--resume" not in outcome.out
    assert {p: p.stat().st_mtime_ns for p in (out / "parts").iterdir()} == stamps


@pytest.mark.parametrize("where, words", [
    ("a file", "not a folder"),
    ("/proc/chipdeal-out", "cannot write"),
    ("a\0b", "not a valid folder"),
])
def test_an_unusable_output_folder_is_one_line(cli, made, tmp_path, where, words):
    path, _, _ = made
    if where == "a file":
        where = tmp_path / "file"
        where.write_text("x")
    assert_one_line(sweep_cli(cli, path, where), 2, words)


def test_resume_refuses_a_changed_sweep_other_code_or_other_options(cli, unfinished, monkeypatch):
    path, out, _ = unfinished
    assert_one_line(sweep_cli(cli, path, out, "--resume", "--traces"), 2, "without --traces")
    assert_one_line(sweep_cli(cli, path, out), 2, "--resume", "--overwrite")
    monkeypatch.setattr(store, "code_fingerprint", lambda: "f" * 16)
    assert_one_line(sweep_cli(cli, path, out, "--resume"), 2, "other chipdeal code", "--overwrite")
    monkeypatch.undo()
    path.write_text(path.read_text().replace("seed = 6", "seed = 8"))
    assert_one_line(sweep_cli(cli, path, out, "--resume"), 2, "changed")


def test_every_file_names_its_sweep_code_and_options_without_nan(made):
    path, out, _ = made
    sweep = load_sweep(path)

    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))

    manifest = strict((out / "sweep.json").read_text())
    merged = strict(pq.read_schema(out / "runs.parquet").metadata[b"chipdeal"])
    part = strict(pq.read_schema(parts(out)[0]).metadata[b"chipdeal"])
    for meta in (manifest, merged, part):
        assert meta["sweep_digest"] == sweep.digest
        assert meta["sweep_file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert meta["code_fingerprint"] == store.code_fingerprint() and meta["traces"] is False
    assert part["first_run"] == 0


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only")])
def test_a_disk_that_fills_or_turns_read_only_mid_sweep_ends_in_one_line_and_resumes(cli, made, tmp_path,
                                                                                       monkeypatch, code, words):
    path, _, frame = made
    out = tmp_path / "out"
    real = pq.write_table
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > 4:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    line = assert_one_line(sweep_cli(cli, path, out), 1, words, "8 of 30 runs are kept", "--resume", started=True)
    assert "runs-0000000008.parquet" in line
    monkeypatch.undo()
    assert not list((out / "parts").glob(".tmp-*"))
    assert sweep_cli(cli, path, out, "--resume").code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), frame)


def test_traces_are_recorded_and_a_resume_gives_traces_for_every_run(cli, made, tmp_path, monkeypatch):
    path, _, frame = made
    out = tmp_path / "out"
    real = pq.write_table
    calls = []

    def failing(*args, **kwargs):  # the 7th write: a chunk's traces are written, its runs are not
        calls.append(1)
        if len(calls) == 7:
            raise OSError(errno.ENOSPC, "full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    assert sweep_cli(cli, path, out, "--traces").code == 1
    monkeypatch.undo()
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["traces"] is True
    outcome = sweep_cli(cli, path, out, "--resume", "--traces")
    assert outcome.code == 0, outcome
    runs = pd.read_parquet(out / "runs.parquet")
    pd.testing.assert_frame_equal(runs, frame)
    traces = pd.read_parquet(out / "traces.parquet")
    counts = traces.groupby("run_id").size()
    assert counts.to_dict() == dict(zip(runs["run_id"], runs["steps"], strict=True))  # every run, once each
    assert not traces.duplicated(["run_id", "round"]).any()


@contextlib.contextmanager
def read_only_view(folder, tmp_path):
    """``folder`` on read-only media: a read-only bind mount (root), else without write permission (anyone else)."""
    if os.geteuid() != 0:
        for inner in (folder / "parts", folder):
            inner.chmod(0o555)
        try:
            yield folder
        finally:
            for inner in (folder, folder / "parts"):
                inner.chmod(0o755)
        return
    view = tmp_path / "ro"
    view.mkdir()
    if subprocess.run(["mount", "--bind", str(folder), str(view)], capture_output=True).returncode != 0:
        pytest.skip("root here cannot mount, and permissions do not bind root")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True, capture_output=True)
        yield view
    finally:
        subprocess.run(["umount", str(view)], check=True)


@pytest.mark.parametrize("resume", [True, False])
def test_a_finished_sweep_on_read_only_media_is_reported_finished_not_refused(cli, made, tmp_path, resume):
    path, out, frame = made
    shutil.copytree(out, tmp_path / "copy")
    with read_only_view(tmp_path / "copy", tmp_path) as folder:
        with pytest.raises(OSError):  # the media really refuses writes
            (folder / "probe").write_text("x")
        outcome = sweep_cli(cli, path, folder, *(["--resume"] if resume else []))
        assert outcome.code == 0, outcome  # it exited 2, "cannot write there"
        assert "this sweep is already finished (30 runs in runs.parquet" in outcome.out
        pd.testing.assert_frame_equal(pd.read_parquet(folder / "runs.parquet"), frame)


def test_an_unfinished_sweep_on_read_only_media_still_says_it_cannot_write(cli, unfinished, tmp_path):
    path, copy, _ = unfinished
    with read_only_view(copy, tmp_path) as folder:
        assert_one_line(sweep_cli(cli, path, folder, "--resume"), 2, "cannot write there")


def test_a_stop_reports_the_runs_on_disk_even_when_the_signal_lands_after_a_parts_write(made, tmp_path,
                                                                                         monkeypatch):
    """A signal between a part's rename and the store's count must not make the message understate the folder."""
    path, _, _ = made
    real = store.Store._write_table
    written = []

    def write_then_interrupted(self, table, target):
        real(self, table, target)
        if target.name.startswith("runs-"):
            written.append(target)
            if len(written) == 3:
                raise KeyboardInterrupt  # the part is in place; the store has not counted it yet

    monkeypatch.setattr(store.Store, "_write_table", write_then_interrupted)
    out = tmp_path / "out"
    with pytest.raises(store.SweepStopped) as stopped:
        runner.execute(load_sweep(path), out, workers=1, progress=False)
    on_disk = sum(pq.read_metadata(p).num_rows for p in parts(out))
    assert len(parts(out)) == 3
    assert f"{on_disk} of 30 runs are kept" in str(stopped.value)
