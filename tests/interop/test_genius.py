"""GENIUS export: NegMAS reads it, its utilities equal ours on every outcome, and its agents can negotiate it.

NegMAS is a development dependency; without it these tests skip, except under CI (CI=true), where they fail.
"""

import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from helpers import ROOT, chipdeal

from negotiation.interop.genius import export, files, label
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


def normalised(model, shares, reliefs):
    """Our utilities on the grid, normalised to [0, 1] the GENIUS way, straight from the preferences."""
    s, x = np.meshgrid(shares, reliefs, indexing="ij")
    out = {}
    for key, gov in (("us", model.counterpart), ("japan", model.principal)):
        u = gov.preferences.utility(s.ravel(), x.ravel()).reshape(s.shape)
        out[key] = (u - u.min()) / (u.max() - u.min())
    return out


def test_the_xml_is_wellformed_with_explicit_discrete_values(tmp_path):
    model = model_of()
    out = export(model, tmp_path)
    domain = ET.parse(tmp_path / files(model)["domain"]).getroot()
    assert domain.tag == "negotiation_template"
    issues = domain.findall(".//issue")
    assert [i.get("name") for i in issues] == ["us_profit_share", "relief_fraction"]
    assert all(i.get("etype") == "discrete" and i.get("vtype") == "discrete" for i in issues)
    values = [float(item.get("value")) for item in issues[0].findall("item")]
    low, high = model.share_range()  # the openings (no-retraction) and the lenders' limit bound the issue
    assert min(values) == pytest.approx(low, abs=1e-6)
    assert max(values) == pytest.approx(min(high, model.fundable_share), abs=1e-6)
    for key in ("us", "japan"):
        root = ET.parse(tmp_path / files(model)[key]).getroot()
        weights = [float(w.get("value")) for w in root.findall(".//weight")]
        assert sum(weights) == pytest.approx(1.0, abs=1e-12)
        evals = [float(i.get("evaluation")) for i in root.findall(".//item")]
        assert min(evals) >= 0 and max(evals) == pytest.approx(1.0)
        assert 0.0 <= float(root.find("reservation").get("value")) <= 1.0
    assert out["shares"].size == len(values)


def test_the_outside_option_becomes_japans_reservation_value(tmp_path):
    model = model_of("agents.japan.outside_option_share=0.5")
    out = export(model, tmp_path)
    p = out["profiles"]["japan"]
    expected = (model.principal.preferences.disagreement - p.u_min) / p.u_range
    assert p.reservation == pytest.approx(expected) and p.reservation > 0
    assert out["profiles"]["us"].reservation == 0.0


@needs_negmas
def test_negmas_reads_the_export_and_its_utilities_equal_ours_on_every_outcome(tmp_path):
    from negotiation.interop.negmas_bridge import load, negotiate

    model = model_of()
    out = export(model, tmp_path)
    scenario = load(tmp_path)
    ours = normalised(model, out["shares"], out["reliefs"])
    share_index = {label(v): i for i, v in enumerate(out["shares"])}
    relief_index = {label(v): j for j, v in enumerate(out["reliefs"])}
    outcomes = list(scenario.outcome_space.enumerate())
    assert len(outcomes) == out["shares"].size * out["reliefs"].size
    worst = 0.0
    for outcome in outcomes:
        i, j = share_index[outcome[0]], relief_index[outcome[1]]
        for k, key in enumerate(("us", "japan")):
            worst = max(worst, abs(float(scenario.ufuns[k](outcome)) - ours[key][i, j]))
    assert worst <= 1e-9
    result = negotiate(scenario, "aspiration", model.max_rounds)
    assert result["agreed"]
    assert 0 <= result["us_profit_share"] <= model.fundable_share + 1e-6  # NegMAS can only agree to fundable terms


@needs_negmas
def test_chipdeal_negmas_prints_both_engines():
    p = chipdeal("negmas")
    assert p.returncode == 0, p.stderr
    assert "chipdeal actors" in p.stdout and p.stdout.count("NegMAS SAO") == 3


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
