"""GENIUS export: one issue per term, NegMAS reads it, its utilities equal ours, and its agents can negotiate it.

NegMAS is a development dependency; without it these tests skip, except under CI (CI=true), where they fail.
"""

import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from helpers import ROOT, chipdeal

from negotiation.interop.genius import (
    ONE_SHARE,
    PAIRED_SHARES,
    NotExportable,
    export,
    files,
    grid,
    grid_points,
    label,
    profile,
)
from negotiation.issues import Package
from negotiation.model import NegotiationModel
from negotiation.scenario_files import load_scenario

try:
    import negmas  # noqa: F401

    HAVE_NEGMAS = True
except ImportError:
    HAVE_NEGMAS = False
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("NegMAS is missing under CI (it is in the dev dependency group)", pytrace=False)

needs_negmas = pytest.mark.skipif(not HAVE_NEGMAS, reason="NegMAS not installed (dev dependency)")


def model_of(*sets, path=ROOT / "runs" / "baseline.toml"):
    return NegotiationModel(load_scenario(path, list(sets)), rng=0, collect_data=False)


@pytest.fixture(scope="module")
def baseline():
    return model_of()


def test_the_domain_has_the_shares_and_one_issue_per_bargained_rate(baseline, tmp_path):
    model = baseline
    out = export(model, tmp_path)
    g = out["grid"]
    domain = ET.parse(tmp_path / files(model)["domain"]).getroot()
    assert domain.tag == "negotiation_template"
    issues = domain.findall(".//issue")
    groups = [t.name for t in model.terms.continuous]
    assert [i.get("name") for i in issues] == [PAIRED_SHARES, *(f"tariff_rate_{name}" for name in groups)]
    assert len(groups) >= 2 and all(i.get("etype") == "discrete" for i in issues)
    pairs = [tuple(float(v) for v in item.get("value").split("/")) for item in issues[0].findall("item")]
    assert all(model.principal.fundable(Package(q, s)) for q, s in pairs)  # only what the lenders fund
    assert {0.5, 0.9} <= {s for _, s in pairs} and any(q != s for q, s in pairs)  # the claims, both phases
    for issue, term in zip(issues[1:], model.terms.continuous, strict=True):
        values = [float(item.get("value")) for item in issue.findall("item")]
        assert min(values) == pytest.approx(term.low, abs=1e-6) and max(values) == pytest.approx(term.high, abs=1e-6)
    assert g.points == len(pairs) * 6 * 6 <= grid_points(model)  # the default resolution: 11 shares, 6 rates
    for key in ("us", "japan"):
        root = ET.parse(tmp_path / files(model)[key]).getroot()
        weights = [float(w.get("value")) for w in root.findall(".//weight")]
        assert len(weights) == len(issues) and sum(weights) == pytest.approx(1.0, abs=1e-12)
        evals = [float(i.get("evaluation")) for i in root.findall(".//item")]
        assert min(evals) >= 0 and max(evals) == pytest.approx(1.0)
        assert 0.0 <= float(root.find("reservation").get("value")) <= 1.0


def test_the_profile_is_each_governments_utility_at_round_1_normalised(baseline):
    g = grid(baseline, 6, 3)
    rng = np.random.default_rng(3)
    for gov in (baseline.counterpart, baseline.principal):
        p = profile(gov, g)
        for _ in range(20):
            index = tuple(int(rng.integers(n)) for n in g.sizes)
            exact = (gov.utility_of(g.package(index), 1) - p.u_min) / p.u_range
            assert p.utility(index) == pytest.approx(exact, abs=1e-12)
        best = (gov.utility_of(g.package((0, 0, 0)), 1) - p.u_min) / p.u_range
        assert 0.0 <= best <= 1.0


def test_a_one_phase_deal_has_one_share_issue(tmp_path):
    model = model_of(path=ROOT / "runs" / "scenarios" / "one_phase.toml")
    g = export(model, tmp_path, 11, 3)["grid"]
    assert g.names[0] == ONE_SHARE and all(q == s for q, s in g.shares)
    assert g.labels(0)[:2] == [label(g.shares[0, 1]), label(g.shares[1, 1])]
    assert g.package_of(("0.500000", *(label(r[0]) for r in g.rates))).us_share_before_recoup == 0.5


def test_the_outside_option_becomes_japans_reservation_value(tmp_path):
    model = model_of("agents.japan.outside_option_share=0.5")
    out = export(model, tmp_path, 6, 3)
    p = out["profiles"]["japan"]
    expected = (model.principal.preferences.disagreement - p.u_min) / p.u_range
    assert p.reservation == pytest.approx(expected) and p.reservation > 0
    assert out["profiles"]["us"].reservation == 0.0


def test_a_utility_that_couples_the_shares_and_a_rate_is_not_exported(baseline):
    g = grid(baseline, 6, 3)
    gov = baseline.principal

    class Coupled:  # the principal, with a term in q × the first rate that no additive profile can hold
        preferences = gov.preferences

        @staticmethod
        def utility_of(package, t):
            return gov.utility_of(package, t) + 10.0 * package.us_share_before_recoup * package.tariff_rates[0]

    with pytest.raises(NotExportable, match="not additive"):
        profile(Coupled(), g)


def test_nothing_funded_is_nothing_to_export(tmp_path):
    model = model_of(path=ROOT / "runs" / "scenarios" / "equity_article.toml")
    with pytest.raises(NotExportable, match="the lenders fund no share at all"):
        export(model, tmp_path)
    assert not list(tmp_path.iterdir())  # nothing written


@needs_negmas
def test_negmas_reads_the_export_and_its_utilities_equal_ours_on_every_outcome(baseline, tmp_path):
    from negotiation.interop.negmas_bridge import load, negotiate

    model = baseline
    out = export(model, tmp_path)
    g, profiles = out["grid"], out["profiles"]
    scenario = load(tmp_path)
    labels = [{text: k for k, text in enumerate(g.labels(i))} for i in range(len(g.names))]
    outcomes = list(scenario.outcome_space.enumerate())
    assert len(outcomes) == g.points
    worst = 0.0
    for outcome in outcomes:
        index = tuple(lab[v] for lab, v in zip(labels, outcome, strict=True))
        assert g.package_of(outcome) == g.package(index)
        for k, key in enumerate(("us", "japan")):
            worst = max(worst, abs(float(scenario.ufuns[k](outcome)) - profiles[key].utility(index)))
    assert worst <= 1e-9
    assert [float(u.reserved_value) for u in scenario.ufuns] == [profiles[k].reservation for k in ("us", "japan")]
    result = negotiate(scenario, "aspiration", model.max_rounds)
    assert result["agreed"]
    assert model.principal.fundable(g.package_of(result["outcome"]))  # NegMAS can only agree to fundable terms


@needs_negmas
def test_the_bridge_reports_every_term_and_the_distance_to_our_equilibrium(baseline):
    from negotiation.interop.negmas_bridge import compare, distance

    model = NegotiationModel(baseline.spec, rng=0, collect_data=False)
    rows = compare(model, ("conceder",), 6, 3)
    ours, theirs = rows
    assert ours["engine"] == "chipdeal actors" and theirs["engine"] == "NegMAS SAO"
    spe = model.solve().spe
    for row in rows:
        assert row["agreed"]
        package = Package(row["us_share_before_recoup"], row["us_profit_share"],
                          tuple(row["tariff_rates"][t.name] for t in model.terms.continuous))
        assert set(row["tariff_rates"]) == set(model.tariff_rates(package))
        assert row["tariff_rate"] == pytest.approx(model.tariff_rate(package))
        assert row["distance_to_equilibrium"] == pytest.approx(distance(package, spe))
    assert ours["distance_to_equilibrium"] == pytest.approx(model.result().distance_to_equilibrium)
    assert distance(spe, spe) == 0.0


@needs_negmas
def test_chipdeal_negmas_prints_both_engines():
    p = chipdeal("negmas")
    assert p.returncode == 0, p.stderr
    assert "chipdeal actors" in p.stdout and p.stdout.count("NegMAS SAO") == 3
    head = next(line for line in p.stdout.splitlines() if line.startswith("engine"))
    assert all(word in head for word in (" q ", " s ", "autos", "other", "all-in", "|Δ SPE|"))


def test_export_genius_refuses_a_one_issue_scenario(tmp_path):
    p = chipdeal("export-genius", "runs/scenarios/rubinstein.toml", str(tmp_path))
    assert p.returncode == 2 and "one issue" in p.stderr and "Traceback" not in p.stderr


@needs_negmas
def test_chipdeal_negmas_on_a_scenario_nobody_funds_is_one_line_not_a_traceback(capsys):
    from negotiation.cli import main

    scenario = str(ROOT / "runs" / "scenarios" / "equity_article.toml")  # 12% equity: the lenders fund no share
    assert main(["run", scenario, "--json"]) == 0
    assert '"agreed": false' in capsys.readouterr().out
    assert main(["negmas", scenario]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith(f"chipdeal: error: {scenario}: the lenders fund no share at all")
    assert "NegMAS has nothing to negotiate" in captured.err
