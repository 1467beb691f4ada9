"""The user documentation stays true: docs/example.py runs, and the commands docs/scenarios.md shows exist.

All in-process: the example through runpy, the commands through the CLI's own argparse parser.
"""

import argparse
import re
import runpy
import shlex
from pathlib import Path

import pytest

from negotiation.cli import _build_parser

DOCS = Path(__file__).resolve().parent.parent / "docs"
SH_BLOCK = re.compile(r"^( *)```sh\n(.*?)^\1```", re.S | re.M)


def test_the_example_runs_and_prints_its_headings(capsys):
    namespace = runpy.run_path(str(DOCS / "example.py"))  # defines main() without calling it
    namespace["main"](seeds=3)
    out = capsys.readouterr().out
    counterfactual = "== Counterfactual: agents.japan.claim_retraction_cost_usd_bn=0 =="
    for heading in ("== Baseline ==", counterfactual, "== Comparison =="):
        assert heading in out, out
    for line in ("US share of profits before recoup: median", "US share of profits after recoup: median",
                 "tariff rate on autos: median", "tariff rate on other: median", "agreed tariff rate (all-in): median",
                 "equilibrium (subgame-perfect equilibrium"):
        assert out.count(line) == 2, (line, out)
    assert "median agreed tariff (all-in)" in out and "points)" in out, out


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {name: sub for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name, sub in action.choices.items()}


def _documented_commands() -> list[str]:
    """Every line of a ```sh block of docs/scenarios.md that starts with `uv run chipdeal`."""
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    return [line.strip() for _, body in SH_BLOCK.findall(text) for line in body.splitlines()
            if line.strip().startswith("uv run chipdeal")]


def test_the_parser_has_the_commands_the_tests_rely_on():
    assert {"run", "keys", "explain", "sweep"} <= set(_subcommands(_build_parser()))


@pytest.mark.parametrize("line", _documented_commands())
def test_every_documented_command_names_a_real_subcommand_and_parses(line):
    parser = _build_parser()
    tokens = shlex.split(line)
    argv = tokens[3:tokens.index("|")] if "|" in tokens else tokens[3:]  # drop `uv run chipdeal` and any pipe
    words = [w for w in argv if not w.startswith("-")]
    assert words and words[0] in _subcommands(parser), f"{line!r}: not a chipdeal subcommand"
    parser.parse_args(argv)  # options and arguments too: raises UsageError if argparse refuses them


def test_the_walkthrough_shows_enough_commands():
    commands = _documented_commands()
    assert len(commands) >= 10
    assert {shlex.split(c)[3] for c in commands} >= {"run", "keys"}


def test_the_contract_names_every_json_key_and_sweep_column():
    from negotiation.model import NegotiationModel
    from negotiation.scenario_files import load_scenario

    contract = (DOCS / "CONTRACT.md").read_text(encoding="utf-8")
    result = NegotiationModel(load_scenario(), rng=0).run()
    out = result.to_json()
    names = set(out) | set(out["equilibrium"]) | set(out["equilibrium"]["nash"]) | set(result.to_row())
    nothing_funded = load_scenario(DOCS.parent / "runs" / "scenarios" / "equity_article.toml")
    names |= set(NegotiationModel(nothing_funded, rng=0).run(solve=False).to_json())  # fundable_share_reason
    names -= {f"{prefix}_{key}" for key in result.utilities for prefix in ("utility", "advantage", "concession_rate")}
    names -= {f"tariff_rate_{group}" for group in result.terms.tariff_rates}
    for prefix in ("utility", "advantage", "concession_rate"):  # documented as <prefix>_<key>
        assert f"`{prefix}_<key>`" in contract
    assert "`tariff_rate_<group>`" in contract  # one column per group of goods
    missing = sorted(name for name in names if f"`{name}`" not in contract)
    assert not missing, f"docs/CONTRACT.md does not name {missing}"
