"""--set errors name the option, not the scenario file; every command that takes --set documents it."""

import argparse

import pytest

from cli.cli_checks import one_error_line
from negotiation.cli import _build_parser
from negotiation.scenario_files import default_scenario_path

BASELINE_TEXT = default_scenario_path().read_text()


@pytest.mark.parametrize("override, rest", [
    ("deal.x=1", "unknown key"),
    ("deal.equity_fraction=2", "Input should be less than or equal to 1 (got 2)"),
    ("deal.fund_usd_bn=nan", "finite"),
    ("deal.fund_usd_bn.x=1", "deal.fund_usd_bn is not a table"),
    ("agents.korea.discount=0.9", "agents.korea: unknown actor"),
])
def test_set_errors_name_the_option_and_not_the_file(cli, override, rest):
    code, out, err = cli("run", "--set", "deal.two_phase=true", "--set", override)
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert line.startswith(f"chipdeal: error: --set {override}: ")
    assert rest in line
    assert "baseline.toml" not in line


def test_an_error_in_the_file_names_the_file_even_with_a_good_set(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASELINE_TEXT.replace("[deal]\n", "[deal]\nequity_fractoin = 0.2\n"))
    code, _, err = cli("run", bad, "--set", "deal.equity_fraction=0.2")
    line = one_error_line(err)
    assert code == 2 and line.startswith(f"chipdeal: error: {bad}: deal.equity_fractoin: unknown key")
    assert "--set" not in line


def test_a_set_may_supply_what_the_file_leaves_out(cli, tmp_path):
    lines = [ln for ln in BASELINE_TEXT.splitlines() if not ln.startswith("fund_usd_bn")]
    partial = tmp_path / "partial.toml"
    partial.write_text("\n".join(lines) + "\n")
    code, _, err = cli("run", partial)
    assert code == 2 and "deal.fund_usd_bn is required" in one_error_line(err) and str(partial) in err
    code, out, err = cli("run", partial, "--set", "deal.fund_usd_bn=550", "--json")
    assert code == 0, err


def test_an_error_no_single_key_holds_names_the_overrides(cli):
    code, _, err = cli("run", "--set", "protocol.first_proposer=jpan")
    line = one_error_line(err)
    assert code == 2 and line.startswith("chipdeal: error: --set protocol.first_proposer=jpan: ")


@pytest.mark.parametrize("command", ["explain", "export-genius", "negmas", "keys"])
def test_every_command_that_loads_a_scenario_names_the_set(cli, tmp_path, command):
    argv = [command, "--set", "deal.equity_fractoin=0.2"]
    if command == "export-genius":
        argv = [command, default_scenario_path(), tmp_path, "--set", "deal.equity_fractoin=0.2"]
    code, _, err = cli(*argv)
    assert code == 2
    assert one_error_line(err).startswith("chipdeal: error: --set deal.equity_fractoin=0.2: unknown key")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_with_set_documents_it():
    with_set = {name: sub for name, sub in _subcommands().items()
                if any("--set" in a.option_strings for a in sub._actions)}
    assert {"run", "explain", "export-genius", "negmas", "keys", "params"} <= set(with_set)
    for name, sub in with_set.items():
        action = next(a for a in sub._actions if "--set" in a.option_strings)
        assert action.help and "dotted path" in action.help and "--set" in action.help, name
        assert "--set KEY=VALUE" in sub.format_help(), name


@pytest.mark.parametrize("value", ["0.2\nextra = 1", "0.2\n[deal]\nequity_fraction = 0.9", "0.2\r\nx = 1"])
def test_a_newline_in_a_set_value_cannot_smuggle_more_toml(cli, value):
    code, out, err = cli("run", "--set", f"deal.equity_fraction={value}")
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert line.startswith("chipdeal: error: --set deal.equity_fraction: ") and "more than one TOML value" in line


def test_a_set_value_may_still_span_lines_where_toml_allows_it(cli):
    code, out, err = cli("run", "--json", "--set", "deal.equity_fraction=0.02 # a comment\n")
    assert code == 0, err
