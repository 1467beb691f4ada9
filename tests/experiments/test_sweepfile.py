"""Sweep files: whatever a user writes or points at is refused in one line (exit 2), fast, before any run."""

import json
import math
import os

import numpy as np
import pytest
from experiments.checks import SWEEP_HEAD, assert_one_line
from helpers import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negotiation.experiments.sampling import draw_sample
from negotiation.experiments.sweepfile import SweepError, load_sweep, sweep_from_dict
from negotiation.scenario_files import load_scenario, with_overrides

BASE = load_scenario(BASELINE)


def write(tmp_path, body, name="s.toml"):
    path = tmp_path / name
    path.write_text(SWEEP_HEAD + body)
    return path


def refused(cli, tmp_path, body, *words, **limits):
    out = tmp_path / "out"
    outcome = cli("sweep", write(tmp_path, body), "--workers", "1", "--out", out, "--quiet", memory=True)
    line = assert_one_line(outcome, 2, *words, **limits)
    assert not out.exists()  # refused before the folder was made
    return line


@pytest.mark.parametrize("body, words", [
    ('[grid]\n"deal.not_a_key" = [1]\n', "unknown key"),
    ('[grid]\n"deal.equity_fraction" = []\n', "no values"),
    ('[grid]\n"deal.equity_fraction" = [2.0]\n', "equity_fraction"),
    ('samples = 3\n[sample]\n"deal.equity_fraction" = { dist = "poisson", lam = 1 }\n', "unknown distribution"),
    ('samples = 3\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = 0.3, high = 0.1 }\n', "must exceed"),
    ('[sample]\n"deal.equity_fraction" = { dist = "uniform", low = 0.1, high = 0.3 }\n', "samples"),
    ('replicates = 0\n', "replicates"),
    ('replicates = 2.5\n', "replicates"),
    ('colour = "blue"\n', "unknown key"),
])
def test_a_bad_sweep_file_exits_2_with_one_line_before_any_run(cli, tmp_path, body, words):
    refused(cli, tmp_path, body, words)


# --- unbounded work: counted before anything is built ----------------------------------------------------

SIX_KEYS = ["deal.equity_fraction", "deal.fund_usd_bn", "protocol.belief_noise", "agents.us.discount_rate_per_year",
            "agents.japan.discount_rate_per_year", "agents.japan.outside_option_share"]


@pytest.mark.parametrize("body, count", [
    ("replicates = 10\n[grid]\n" + "".join(f'"{k}" = {[0.1 + i / 100 for i in range(10)]}\n' for k in SIX_KEYS),
     "10,000,000 runs"),
    ("replicates = 100000000\n", "100,000,000 runs"),
    ('samples = 1000000000\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = 0.1, high = 0.2 }\n',
     "1,000,000,000 runs"),
    ("replicates = 1" + "0" * 30 + "\n", "about 10^30 runs"),
])
def test_too_much_work_is_refused_before_it_starts_naming_the_count_and_the_option(cli, tmp_path, body, count):
    refused(cli, tmp_path, body, count, "--max-runs", seconds=3.0, mib=32.0)


def test_max_runs_raises_and_lowers_the_limit(cli, tmp_path):
    path = write(tmp_path, "replicates = 3\n")
    assert_one_line(cli("sweep", path, "--max-runs", "2", "--out", tmp_path / "a", "--workers", "1"), 2,
                    "3 runs", "--max-runs")
    ok = cli("sweep", path, "--max-runs", "3", "--out", tmp_path / "b", "--workers", "1", "--quiet")
    assert ok.code == 0 and "3 runs" in ok.out
    assert_one_line(cli("sweep", path, "--max-runs", "0", "--out", tmp_path / "c"), 2, "--max-runs")


def test_a_big_legal_sweep_generates_its_chunks_lazily_in_flat_memory():
    import tracemalloc

    from negotiation.experiments.runner import _chunks, missing_ranges

    sweep = sweep_from_dict({"replicates": 1_000_000}, BASE, max_runs=1_000_000)
    done = np.zeros(sweep.n_runs, dtype=bool)
    done[::3] = True  # a resume with scattered holes
    tracemalloc.start()
    first = next(_chunks(sweep, done, 200))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [r["run_id"] for r in first] == [1, 2]  # consecutive missing runs only
    assert peak < 4 * 2**20  # a list or set of a million run specs or ids would take far more
    covered = np.zeros_like(done)
    last = 0
    for start, stop in missing_ranges(done, 200):
        assert last <= start < stop <= start + 200 and not done[start:stop].any()
        covered[start:stop] = True
        last = stop
    assert np.array_equal(covered, ~done)  # every missing run once, none done twice


# --- odd files and paths: read only small regular files ----------------------------------------------------

@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    d = tmp_path_factory.mktemp("odd")
    os.mkfifo(d / "fifo")
    (d / "fifo.lnk").symlink_to(d / "fifo")
    (d / "zero.lnk").symlink_to("/dev/zero")
    with open(d / "big.toml", "wb") as f:
        f.truncate(120 * 2**20)  # 120 MB (sparse)
    (d / "plain.toml").write_text("x = 1\n")
    (d / "loop1").symlink_to(d / "loop2")
    (d / "loop2").symlink_to(d / "loop1")
    return {
        "/dev/zero": "/dev/zero",
        "a FIFO nobody writes to": str(d / "fifo"),
        "a symlink to a FIFO": str(d / "fifo.lnk"),
        "a symlink to /dev/zero": str(d / "zero.lnk"),
        "/proc/self/mem": "/proc/self/mem",
        "a 120 MB file": str(d / "big.toml"),
        "a NUL byte": str(d / "a\0b.toml"),
        "5,000 characters": str(d / "/".join(["x" * 200] * 25)),
        "a file used as a folder": str(d / "plain.toml" / "s.toml"),
        "a symlink loop": str(d / "loop1"),
        "a folder": str(d),
    }


ODD = ["/dev/zero", "a FIFO nobody writes to", "a symlink to a FIFO", "a symlink to /dev/zero", "/proc/self/mem",
       "a 120 MB file", "a NUL byte", "5,000 characters", "a file used as a folder", "a symlink loop", "a folder"]


@pytest.mark.parametrize("where", ["sweep file", "scenario =", "base ="])
@pytest.mark.parametrize("case", ODD)
def test_an_odd_path_is_one_line_naming_it_never_a_hang(cli, tmp_path, odd, case, where):
    target = odd[case]
    if where == "sweep file":
        path = target
    elif where == "scenario =":
        path = tmp_path / "s.toml"
        path.write_text(f"scenario = {json.dumps(target)}\n")
    else:
        scenario = tmp_path / "scenario.toml"
        scenario.write_text(f"base = {json.dumps(target)}\n")
        path = tmp_path / "s.toml"
        path.write_text(f"scenario = {json.dumps(str(scenario))}\n")
    outcome = cli("sweep", path, "--workers", "1", "--out", tmp_path / "out", memory=True, limit_s=10)
    line = assert_one_line(outcome, 2, seconds=3.0, mib=16.0)
    assert len(line) < 600
    shown = target.replace("\0", "\\x00")
    assert shown[:40] in line or shown[-40:] in line  # names the path (a long one shortened in the middle)


@pytest.mark.parametrize("text, words", [
    ("a = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("a = " + "{b = " * 500 + "1" + "}" * 500, "nested too deeply"),
    ("x" + ".x" * 50_000 + " = 1\n", "dotted parts"),
    ("[" + ".".join(["t"] * 5000) + "]\n", "dotted parts"),
    ("scenario = 'x'\n\xff\xfe\n", "UTF-8"),
])
def test_pathological_toml_is_refused_fast(cli, tmp_path, text, words):
    path = tmp_path / "s.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if "\xff" not in text else text.encode("latin-1"))
    assert_one_line(cli("sweep", path, "--out", tmp_path / "out", memory=True), 2, words, seconds=3.0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8", "replace"))))
def test_generated_garbage_is_one_line_or_a_valid_sweep(cli, tmp_path, raw):
    path = tmp_path / "g.toml"
    path.write_bytes(SWEEP_HEAD.encode() + raw)
    outcome = cli("sweep", path, "--workers", "1", "--out", tmp_path / "gout", "--max-runs", "3", "--quiet",
                  "--overwrite")
    assert "Traceback" not in outcome.err + outcome.out
    assert outcome.code in (0, 2), outcome
    if outcome.code == 2:
        assert len(outcome.err.strip().splitlines()) == 1, outcome.err


# --- values: one kind per key, and every value a distribution can draw must be valid --------------------

@pytest.mark.parametrize("body, words", [
    ('[grid]\n"deal.equity_fraction" = [0.1, "a"]\n', "mix"),
    ('[grid]\n"deal.two_phase" = [true, 1]\n', "mix"),
    ('[grid]\n"deal.equity_fraction" = [[0.1]]\n', "numbers, booleans or words"),
    ('[grid]\n"deal.equity_fraction" = [nan]\n', "finite"),
    ('samples = 2\n[sample]\n"deal.two_phase" = { dist = "choice", values = [true, "no"] }\n', "mix"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = 0.5, high = 1.5 }\n',
     "equity_fraction"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "normal", mean = 0.1, sd = 0.05 }\n',
     "equity_fraction"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "choice", values = [0.1, 2.0] }\n', "2.0"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "triangular", low = 0.1, mode = 0.2, high = 1.2 }\n',
     "equity_fraction"),
    ('samples = 4\n[sample]\n"deal.fund_usd_bn" = { dist = "loguniform", low = 0, high = 10 }\n', "low > 0"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = nan, high = 0.5 }\n', "low"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = -inf, high = 0.5 }\n', "low"),
    ('samples = 4\n[sample]\n"deal.equity_fraction" = { dist = "uniform", low = true, high = 0.5 }\n', "low"),
])
def test_values_that_could_make_error_rows_or_unmergeable_parts_are_refused(cli, tmp_path, body, words):
    refused(cli, tmp_path, body, words)


def test_integers_and_floats_in_one_grid_make_one_float_column(tmp_path):
    from negotiation.experiments.runner import sweep

    path = write(tmp_path, '[grid]\n"deal.fund_usd_bn" = [550, 600.5]\n"protocol.information" = ["complete"]\n')
    frame = sweep(path, tmp_path / "out", workers=1, progress=False)
    assert frame["deal.fund_usd_bn"].tolist() == [550.0, 600.5] and frame["deal.fund_usd_bn"].dtype == float
    assert (frame["error"] == "").all()


windows = st.tuples(st.floats(-0.5, 1.5, allow_nan=False), st.floats(-0.5, 1.5, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(windows, st.integers(0, 2**32))
def test_a_window_is_accepted_exactly_when_every_draw_is_valid(window, seed):
    low, high = window
    data = {"seed": seed, "samples": 50, "sample": {"deal.equity_fraction": {"dist": "uniform", "low": low,
                                                                             "high": high}}}
    try:
        sweep = sweep_from_dict(data, BASE)
    except SweepError:
        assert not (0.0 <= low < high <= 1.0)
        return
    assert 0.0 <= low < high <= 1.0
    for k in range(50):  # every draw makes a valid scenario: no error rows
        with_overrides(BASE, draw_sample(sweep.file.sample, seed, k))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.booleans(), st.integers(-5, 5), st.floats(0, 1), st.sampled_from(["a", "b"])),
                min_size=1, max_size=5))
def test_grid_values_are_one_kind_or_refused(values):
    try:
        sweep = sweep_from_dict({"grid": {"deal.equity_fraction": values}}, BASE)
    except SweepError as err:
        assert len(str(err).splitlines()) == 1
        return
    stored = sweep.file.grid["deal.equity_fraction"]
    assert len({type(v) for v in stored}) == 1
    assert all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 and math.isfinite(v)
               for v in stored)


def test_the_sweep_names_its_file_sha256_and_its_validated_digest(tmp_path):
    import hashlib

    path = write(tmp_path, 'replicates = 2\n[grid]\n"deal.equity_fraction" = [0.1, 0.2]\n')
    sweep = load_sweep(path)
    assert sweep.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text() + "# a comment changes the file, not the sweep\n")
    again = load_sweep(path)
    assert again.digest == sweep.digest and again.file_sha256 != sweep.file_sha256
