"""`chipdeal report`: a page for a sweep folder, and one line (exit 2) for anything it cannot read or write."""

import os
import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from experiments.checks import SWEEP_HEAD, assert_one_line
from matplotlib.image import imread

from negotiation.experiments.runner import execute
from negotiation.experiments.sweepfile import load_sweep

GRID = ('replicates = 2\nseed = 1\n[grid]\n"deal.equity_fraction" = [0.01, 0.015, 0.02]\n'
        '"protocol.information" = ["complete", "incomplete"]\n')


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    path = base / "s.toml"
    path.write_text(SWEEP_HEAD + GRID)
    execute(load_sweep(path), base / "out", workers=1, progress=False)
    return base / "out"


@pytest.fixture
def copy(folder, tmp_path):
    target = tmp_path / "out"
    shutil.copytree(folder, target)
    return target


def assert_png(path):
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img[..., :3].std() > 0.01  # not blank


def test_report_writes_plots_and_a_page_for_a_sweep(cli, copy):
    outcome = cli("report", copy)
    assert outcome.code == 0 and "report.md" in outcome.out, outcome
    page = (copy / "report.md").read_text()
    assert "12 runs" in page and "deal.equity_fraction" in page and "sweep digest" in page
    assert "Runs that reproduce the observed patterns (`patterns.toml`)" in page  # the shipped patterns
    assert_png(copy / "distributions.png")
    assert_png(copy / "against_inputs.png")
    assert_png(copy / "tariff_against_inputs.png")
    for line in ("- US share before recoup given agreement: median", "- US share (after recoup) given agreement",
                 "- Tariff on autos given agreement: median", "- Tariff on other given agreement: median",
                 "- All-in tariff given agreement: median", "- Tariff relief (duty saved) given agreement"):
        assert line in page, line
    head = next(line for line in page.splitlines() if line.startswith("| input |"))
    assert [c.strip() for c in head.strip("|").split("|")[1:]] == [
        "US share before recoup", "US share (after recoup)", "autos rate", "other rate", "all-in tariff",
        "duty relief $bn/yr"]
    row = next(line for line in page.splitlines() if line.startswith("| deal.equity_fraction |"))
    cells = [c.strip() for c in row.strip("|").split("|")[1:]]
    assert len(cells) == 6 and all(c == "constant" or -1 <= float(c) <= 1 for c in cells)  # ρ per outcome


def garbage(path):
    path.write_bytes(os.urandom(3000))


def truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def fifo(path):
    path.unlink()
    os.mkfifo(path)


def without(column):
    def change(path):
        pq.write_table(pq.read_table(path).drop_columns([column]), path)
    return change


def agreed_as_words(path):
    table = pq.read_table(path)
    i = table.column_names.index("agreed")
    pq.write_table(table.set_column(i, "agreed", pa.array(["yes"] * table.num_rows)), path)


@pytest.mark.parametrize("change, words", [
    (garbage, "not a readable Parquet file"),
    (truncated, "not a readable Parquet file"),
    (fifo, "not a regular file"),
    (lambda p: p.unlink(), "no runs.parquet"),
    (without("us_profit_share"), "no 'us_profit_share' column"),
    (without("agreed"), "no 'agreed' column"),
    (agreed_as_words, "'agreed' should hold bools"),
], ids=["garbage", "truncated", "FIFO", "missing", "no share column", "no agreed column", "agreed as words"])
def test_an_unusable_runs_parquet_is_one_line(cli, copy, change, words):
    change(copy / "runs.parquet")
    assert_one_line(cli("report", copy, limit_s=10), 2, words, "runs.parquet")


@pytest.mark.parametrize("where, words", [("a file", "not a folder"), ("missing", "no such folder"),
                                          ("/proc/self", "no runs.parquet"), ("a\0b", "cannot open")])
def test_a_folder_that_is_not_a_sweeps_is_one_line(cli, tmp_path, where, words):
    if where == "a file":
        where = tmp_path / "f"
        where.write_text("x")
    elif where == "missing":
        where = tmp_path / "missing"
    assert_one_line(cli("report", where), 2, words)


def test_a_folder_the_report_cannot_be_written_into_is_one_line(cli, copy, monkeypatch):
    from matplotlib.figure import Figure

    def refuse(*_args, **_kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Figure, "savefig", refuse)
    assert_one_line(cli("report", copy), 2, "cannot write the report", "Read-only")


PATTERN = '[[pattern]]\nname = "a"\ncolumn = "c"\nlow = 0\nhigh = 1\nsource = "s"\n'


@pytest.mark.parametrize("text, words", [
    ("", "one or more [[pattern]]"),
    (PATTERN.replace("low = 0\nhigh = 1", "low = 1\nhigh = 0"), "low must not exceed high"),
    (PATTERN.replace("high = 1\n", ""), "high is required"),
    (PATTERN + "hgih = 2\n", "hgih: unknown key"),
    (PATTERN.replace("low = 0", "low = nan"), "finite"),
    (PATTERN.replace('name = "a"', "name = 3"), "strings"),
    ("pattern = [1, 2]\n", "a [[pattern]] table"),
    ("[[pattern]\n", "pattern"),
    ("a = " + "[" * 50_000 + "]" * 50_000, "nested too deeply"),
])
def test_a_bad_patterns_file_exits_2_with_one_line(cli, folder, tmp_path, text, words):
    bad = tmp_path / "patterns.toml"
    bad.write_text(text)
    assert_one_line(cli("report", folder, "--patterns", bad), 2, words)


def test_a_pattern_on_a_column_no_run_has_exits_2_and_leaves_the_report_as_it_was(cli, copy, tmp_path):
    assert cli("report", copy).code == 0
    before = (copy / "report.md").read_text()
    patterns = tmp_path / "patterns.toml"
    patterns.write_text(PATTERN.replace('column = "c"', 'column = "steps"')
                        + PATTERN.replace('name = "a"', 'name = "b"').replace('column = "c"', 'column = "agred"'))
    line = assert_one_line(cli("report", copy, "--patterns", patterns), 2, "pattern 2", "'agred'",
                           "did you mean agreed?")
    assert str(patterns) in line
    assert (copy / "report.md").read_text() == before  # nothing was rewritten without it


@pytest.mark.parametrize("target, words", [("/dev/zero", "not a regular file"), ("missing", "no such patterns file"),
                                           ("folder", "not a regular file"), ("fifo", "FIFO"),
                                           ("binary", "UTF-8")])
def test_an_unreadable_patterns_file_is_one_line_never_a_hang(cli, folder, tmp_path, target, words):
    path = {"/dev/zero": "/dev/zero", "missing": tmp_path / "missing.toml", "folder": tmp_path}.get(target)
    if target == "fifo":
        path = tmp_path / "p.fifo"
        os.mkfifo(path)
    elif target == "binary":
        path = tmp_path / "p.toml"
        path.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line(cli("report", folder, "--patterns", path, limit_s=10), 2, words)


def test_pattern_filter_counts_each_pattern_and_their_intersection():
    from negotiation.experiments.report import Pattern, pattern_lines

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"agreed": rng.random(400) < 0.9, "us_profit_share": rng.random(400),
                          "tariff_rate_autos": 0.1 + 0.175 * rng.random(400), "deal.x": rng.random(400)})
    split = Pattern("split", "us_profit_share", 0.5, 1.0, "FACTS: a")
    relief = Pattern("cars", "tariff_rate_autos", 0.1, 0.15, "FACTS: b")
    both = frame["agreed"] & frame["us_profit_share"].between(0.5, 1.0) & frame["tariff_rate_autos"].between(0.1, 0.15)
    text = "\n".join(pattern_lines(frame, ["deal.x"], [split, relief], "p.toml"))
    assert f"| {int(split.matches(frame).sum())} of 400 |" in text
    assert f"**{int(both.sum())} of 400**" in text
    assert not split.matches(frame[~frame["agreed"]]).any()  # a run without agreement reproduces nothing
    never = Pattern("never", "tariff_rate_autos", 2.0, 3.0, "FACTS: c")
    assert "No run reproduces all the patterns" in "\n".join(pattern_lines(frame, ["deal.x"], [never], "p.toml"))


def test_a_yes_or_no_input_is_left_out_of_the_input_spreads_not_a_crash():
    from negotiation.experiments.report import Pattern, pattern_lines

    frame = pd.DataFrame({"agreed": [True] * 4, "us_profit_share": [0.9, 0.9, 0.5, 0.5],
                          "deal.two_phase": [True, False, True, False], "deal.x": [0.1, 0.2, 0.3, 0.4]})
    text = "\n".join(pattern_lines(frame, ["deal.two_phase", "deal.x"],
                                   [Pattern("split", "us_profit_share", 0.85, 0.95, "FACTS: a")], "p.toml"))
    assert "| deal.x |" in text and "| deal.two_phase |" not in text  # booleans have no quantiles


def test_the_shipped_patterns_name_their_sources():
    from negotiation.experiments.report import default_patterns_path, load_patterns

    patterns = load_patterns(default_patterns_path())
    assert len(patterns) >= 2
    assert all(p.source.startswith("FACTS") and p.low <= p.high for p in patterns)


def test_a_patterns_use_is_read_and_checked(tmp_path):
    from negotiation.experiments.report import default_patterns_path, load_patterns
    from negotiation.experiments.sweepfile import SweepError

    uses = {p.use for p in load_patterns(default_patterns_path())}
    assert uses == {"calibration", "imposed", "corroboration"}  # each as the file says, not the default
    bad = tmp_path / "p.toml"
    bad.write_text('[[pattern]]\nname = "x"\ncolumn = "steps"\nlow = 1\nhigh = 2\nsource = "FACTS: a"\n'
                   'use = "proof"\n')
    with pytest.raises(SweepError, match="use: expected one of"):
        load_patterns(bad)
