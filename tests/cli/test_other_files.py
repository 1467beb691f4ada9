"""A sweep, sensitivity, calibration or patterns file given where a scenario goes names the command that reads it."""

import pytest
from helpers import ROOT

from cli.cli_checks import one_error_line

OTHER_FILES = {
    **{p.stem: (p, "chipdeal sweep") for p in sorted((ROOT / "runs" / "sweeps").glob("*.toml")) if p.stem != "sobol"},
    "sobol": (ROOT / "runs" / "sweeps" / "sobol.toml", "chipdeal sensitivity"),
    "calibration": (ROOT / "runs" / "calibration" / "baseline.toml", "chipdeal calibrate"),
    "patterns": (ROOT / "runs" / "patterns.toml", "--patterns"),
}


@pytest.mark.parametrize("path, command", OTHER_FILES.values(), ids=OTHER_FILES.keys())
def test_a_sweep_file_given_to_run_says_which_command_reads_it(cli, path, command):
    code, out, err = cli("run", path)
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert "unknown key" not in line and "not a scenario" in line
    assert command in line and str(path) in line


def test_a_sweep_file_given_to_compare_or_with_a_set_gets_the_same_hint(cli):
    sweep = ROOT / "runs" / "sweeps" / "levers.toml"
    for argv in (("compare", sweep, ROOT / "runs" / "baseline.toml"), ("run", sweep, "--set", "deal.fund_usd_bn=1")):
        code, _, err = cli(*argv)
        assert code == 2 and "chipdeal sweep" in one_error_line(err)


def test_a_scenario_with_an_unknown_key_still_gets_the_unknown_key_error(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'base = "{(ROOT / "runs" / "baseline.toml").as_posix()}"\nscenario = "x.toml"\n')
    code, _, err = cli("run", bad)
    assert code == 2 and "scenario: unknown key" in one_error_line(err)
