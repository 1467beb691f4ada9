"""Work that grows with an option is refused above a limit another option raises; seeds are 0 to 2**63 - 1."""

import pytest
from helpers import chipdeal

import negotiation.model
from cli.cli_checks import one_error_line
from negotiation.cli import MAX_GRID_POINTS, MAX_RUNS, MAX_SEED
from negotiation.scenario_files import default_scenario_path


@pytest.fixture
def no_runs(monkeypatch):
    """Fail the test if the model runs at all: a refusal must come before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("the model ran")

    monkeypatch.setattr(negotiation.model.NegotiationModel, "run", refuse)


def test_run_replicates_above_the_limit_is_refused_before_any_run(cli, no_runs):
    n = MAX_RUNS + 1
    code, out, err = cli("run", "--replicates", n)
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert f"--replicates {n}: {n:,} runs" in line and f"limit of {MAX_RUNS:,}" in line
    assert f"--max-runs {n}" in line and "about" in line


def test_max_runs_raises_and_lowers_the_limit(cli, monkeypatch):
    code, _, err = cli("run", "--replicates", 3, "--max-runs", 2)
    assert code == 2 and "--max-runs 3" in one_error_line(err)
    code, out, err = cli("run", "--replicates", 3, "--max-runs", 3, "--json")
    assert code == 0, err


def test_explain_counts_every_row_against_the_limit(cli, no_runs):
    code, _, err = cli("explain", "--replicates", 20, "--max-runs", 100)
    line = one_error_line(err)
    assert code == 2
    rows = int(line.split("rows ×")[0].rsplit(" ", 2)[-2])
    assert rows >= 2 and f"{rows} rows × 20 seeds = {rows * 20:,} runs" in line and f"--max-runs {rows * 20}" in line


def test_export_resolution_above_the_limit_is_refused_and_max_points_raises_it(cli, tmp_path):
    code, out, err = cli("export-genius", default_scenario_path(), tmp_path / "g", "--resolution", 2000, 1000)
    line = one_error_line(err)
    # the product of the issues' values: 2,000 shares and the two claims give 2,002² (q, s) pairs, then 1,000
    # rates on each of the two bargained groups
    assert code == 2 and "4,008,004,000,000 outcomes (4,008,004 × 1,000 × 1,000" in line
    assert f"limit of {MAX_GRID_POINTS:,}" in line and "--max-points 4008004000000" in line
    assert not (tmp_path / "g").exists()
    code, _, err = cli("export-genius", default_scenario_path(), tmp_path / "g", "--resolution", 3, 4,
                       "--max-points", 255)  # shares 0, 0.5, 0.9 (the US's claim), 1: 16 pairs × 4 × 4 rates
    assert code == 2 and "--max-points 256" in err
    code, out, err = cli("export-genius", default_scenario_path(), tmp_path / "g", "--resolution", 3, 4,
                         "--max-points", 256)
    assert code == 0, err
    assert len(list((tmp_path / "g").glob("*.xml"))) == 3
    assert "3 issues (us_shares_before_after_recoup, tariff_rate_autos, tariff_rate_other)" in out
    code, _, err = cli("export-genius", default_scenario_path(), tmp_path / "h", "--resolution", 10**7, 2)
    assert code == 2 and "at most 1,000,001 values per share or rate" in one_error_line(err)


def test_export_to_an_unwritable_place_is_one_line(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli("export-genius", default_scenario_path(), blocker / "sub", "--resolution", 5, 3)
    assert code == 2 and "cannot write the export there" in one_error_line(err)


BAD_SEEDS = ["-1", str(MAX_SEED + 1), "x", "1.5", "", "1e3"]


@pytest.mark.parametrize("command", ["run", "explain", "negmas"])
@pytest.mark.parametrize("value", BAD_SEEDS)
def test_a_bad_seed_is_one_line_on_every_command(cli, command, value, no_runs):
    code, out, err = cli(command, "--seed", value)
    assert code == 2 and out == ""
    assert "a seed is an integer from 0 to 2**63 - 1" in one_error_line(err)


def test_the_largest_seed_runs_and_the_seeds_of_replicates_must_fit(cli):
    code, out, err = cli("run", "--seed", MAX_SEED, "--json")
    assert code == 0, err
    code, _, err = cli("run", "--seed", MAX_SEED, "--replicates", 2)
    assert code == 2 and "above 2**63 - 1" in one_error_line(err)
    code, _, err = cli("explain", "--seed", MAX_SEED - 1, "--replicates", 3)
    assert code == 2 and "above 2**63 - 1" in one_error_line(err)


@pytest.mark.parametrize("argv", [["run", "--replicates", "0"], ["run", "--max-runs", "-3"],
                                  ["export-genius", "s.toml", "o", "--resolution", "0", "3"]])
def test_counts_below_one_are_refused(cli, argv):
    code, _, err = cli(*argv)
    assert code == 2 and "must be at least 1" in one_error_line(err)


def test_a_negative_seed_in_a_real_process_is_one_line_not_a_numpy_traceback():
    p = chipdeal("run", "--seed", "-1")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip().splitlines() == ["chipdeal: error: argument --seed: -1: a seed is an integer from 0 to "
                                             "2**63 - 1"]
