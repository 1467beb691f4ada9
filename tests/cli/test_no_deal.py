"""A run without a deal says how it ended (the deadline, or a drawn collapse) and, when nothing can be signed, why."""

import json

from helpers import ROOT

ARTICLE = ROOT / "runs" / "scenarios" / "equity_article.toml"  # 12% equity: JBIC funds no split of the profits


def test_a_run_where_nothing_can_be_signed_says_which_lender_funds_nothing(cli):
    code, out, _ = cli("run", ARTICLE)
    assert code == 0
    assert ("Why: no deal can be signed: Japan signs only what all its lenders and insurers fund, and JBIC funds no "
            "split") in out


NO_THREAT = ROOT / "runs" / "scenarios" / "no_tariff_threat.toml"  # nothing traded for the profits: no deal


def test_a_run_says_whether_the_deadline_passed_or_the_talks_collapsed(cli):
    code, out, _ = cli("run", NO_THREAT, "--set", "protocol.breakdown_hazard_per_year=0")
    assert code == 0 and "No agreement after 90 rounds: the deadline passed (breakdown)." in out
    code, out, _ = cli("run", NO_THREAT)
    assert code == 0 and "the talks collapsed, a risk both sides priced (the breakdown hazard)." in out
    assert "Why:" not in out  # a deal could be signed; nobody wanted one


def test_a_run_where_nothing_can_be_signed_ends_before_round_1(cli):
    code, out, _ = cli("run", ARTICLE, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["outcome"] == "unsignable" and result["steps"] == 0 and not result["agreed"]


def test_a_deal_prints_no_why(cli):
    code, out, _ = cli("run")
    assert code == 0 and "Agreement in round" in out and "Why:" not in out
