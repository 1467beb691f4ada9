"""Misspelt keys, actors, roles, choices, commands and options get a suggestion from the real names."""

import pytest

from cli.cli_checks import one_error_line
from negotiation.keypaths import key_paths, suggest_keys
from negotiation.scenario_files import default_scenario_path, read_scenario

SUGGESTED = {
    "deal key": ("deal.equity_fractoin=0.2", "did you mean deal.equity_fraction?"),
    "actor key": ("agents.japan.outside_optoin_share=0.2", "did you mean agents.japan.outside_option_share?"),
    "key in the wrong table": ("deal.first_proposer=us", "did you mean protocol.first_proposer?"),
    "actor's key at the deal": ("deal.outside_option_share=0.1", "did you mean agents.japan.outside_option_share?"),
    "key of every government": ("deal.discount_rate_per_year=0.1",
                                "did you mean agents.us.discount_rate_per_year or "
                                "agents.japan.discount_rate_per_year?"),
    "actor": ("agents.japn.outside_option_share=0.2", "did you mean agents.japan?"),
    "table": ("dael.fund_usd_bn=1", "did you mean deal?"),
    "role": ("agents.jbic.role=lendr", "did you mean 'lender'?"),
    "choice": ("protocol.information=complet", "did you mean 'complete'?"),
    "proposer": ("protocol.first_proposer=jpan", "did you mean 'japan'?"),
}


@pytest.mark.parametrize("override, hint", SUGGESTED.values(), ids=SUGGESTED.keys())
def test_a_misspelt_name_in_set_gets_the_real_one(cli, override, hint):
    code, out, err = cli("run", "--set", override)
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert hint in line


def test_nothing_close_means_no_suggestion_and_an_unknown_actor_lists_the_actors(cli):
    code, _, err = cli("run", "--set", "deal.not_a_key=1")
    assert code == 2 and "unknown key" in err and "did you mean" not in err
    code, _, err = cli("run", "--set", "agents.korea.discount=0.9")
    line = one_error_line(err)
    assert "unknown actor" in line and "did you mean" not in line
    assert "the scenario's actors: us, japan, jbic, nexi, tsmc" in line


def test_a_misspelt_key_in_a_scenario_file_names_the_file_and_the_real_key(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'base = "{default_scenario_path().resolve()}"\n'
                   "[agents.us]\nconcesion_beta = 0.7\n")
    code, _, err = cli("run", bad)
    line = one_error_line(err)
    assert code == 2 and str(bad) in line
    assert "agents.us.concesion_beta: unknown key (did you mean agents.us.concession_beta?)" in line


def _transpose(word: str) -> str:
    i = len(word) // 2
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1:]


@pytest.mark.parametrize("key", key_paths(read_scenario(default_scenario_path())))
def test_every_key_of_the_schema_is_found_again_from_a_typo(key):
    parts = key.split(".")
    leaf = parts[-1]
    if len(leaf) < 5 or _transpose(leaf) == leaf:
        pytest.skip("too short to misspell")
    typo = [*parts[:-1], _transpose(leaf)]
    data = read_scenario(default_scenario_path())
    assert key in suggest_keys(typo, data)


COMMANDS = {
    "command": (["rn"], "did you mean 'run'?"),
    "command alias": (["param"], "did you mean 'params'?"),
    "option": (["run", "--jsn"], "did you mean --json?"),
    "option of another command": (["explain", "--replcates", "2"], "did you mean --replicates?"),
    "choice": (["sensitivity", "x.toml", "--method", "sobel"], "did you mean 'sobol'?"),
}


@pytest.mark.parametrize("argv, hint", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_misspelt_command_or_option_gets_the_real_one(cli, argv, hint):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert hint in one_error_line(err)


def test_no_command_lists_the_commands(cli):
    code, _, err = cli()
    line = one_error_line(err)
    assert code == 2 and "one of run, explain, keys" in line and "chipdeal --help" in line


def test_an_abbreviated_option_is_refused_with_a_suggestion_not_taken_as_the_full_one(cli):
    code, _, err = cli("run", "--replicate", "3")
    assert code == 2 and "did you mean --replicates?" in err


@pytest.mark.parametrize("argv", [["run", "--workers", "2"], ["keys", "--traces"], ["run", "--version"]])
def test_a_right_option_given_to_the_wrong_command_is_not_suggested_back(cli, argv):
    code, out, err = cli(*argv)
    line = one_error_line(err)
    option = argv[1]
    assert code == 2 and out == ""
    assert f"did you mean {option}" not in line
    assert f"{option} is an option of " in line or f"{option} goes before the command" in line


def test_an_option_of_another_command_names_that_command(cli):
    _, _, err = cli("run", "--workers", "2")
    line = one_error_line(err)
    assert "sweep" in line and "not of run" in line
