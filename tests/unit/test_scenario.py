"""The scenario schema: roles, strict types, bounds, inheritance with `without`, and derived clocks."""

import math
from pathlib import Path

import pytest

from negotiation.inputs import ScenarioError
from negotiation.scenario_files import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "runs" / "baseline.toml"


def test_roles_name_the_actors_and_the_governments():
    spec = load_scenario(BASELINE)
    assert spec.governments == ("us", "japan")
    assert spec.actors == ("us", "japan", "jbic", "nexi", "tsmc")
    assert spec.keys_of("lender") == ("jbic",) and spec.first_proposer == "japan" and spec.last_proposer == "us"


@pytest.mark.parametrize(("override", "words"), [
    ("deal.equity_fraction=\"0.2\"", "valid number"),
    ("deal.two_phase=0", "valid boolean"),
    ("deal.two_phase=\"no\"", "valid boolean"),
    ("deal.tariff_threat=1", "valid boolean"),
    ("deal.fund_usd_bn=1e308", "less than or equal"),
    ("agents.japan.currency_per_usd=1e308", "less than or equal"),
    ("protocol.max_rounds=3.0", "valid integer"),
    ("agents.korea.discount=0.9", "role"),
    ("deal.floor_rate=0.3", "above deal.threat_rate"),
    ("protocol.first_proposer='tsmc'", "not one of the governments"),
])
def test_lax_types_absurd_magnitudes_and_bad_actors_are_refused_with_the_key(override, words):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, [override])
    assert override.split("=")[0].rsplit(".", 1)[0].split(".")[0] in str(err.value) and words in str(err.value)


def test_a_scenario_built_on_a_base_can_leave_actors_out(tmp_path):
    child = tmp_path / "c.toml"
    child.write_text(f'base = "{BASELINE}"\nwithout = ["tsmc", "nexi"]\n')
    spec = load_scenario(child)
    assert spec.actors == ("us", "japan", "jbic")
    child.write_text(f'base = "{BASELINE}"\nwithout = ["korea"]\n')
    with pytest.raises(ScenarioError, match="not an actor of"):
        load_scenario(child)
    child.write_text(f'base = "{BASELINE}"\nwithout = ["japan"]\n')
    with pytest.raises(ScenarioError, match="exactly one actor with role = 'principal'"):
        load_scenario(child)


def test_a_misspelt_actor_left_out_is_suggested(tmp_path):
    child = tmp_path / "c.toml"
    child.write_text(f'base = "{BASELINE}"\nwithout = ["tsmcc"]\n')
    with pytest.raises(ScenarioError, match="did you mean 'tsmc'"):
        load_scenario(child)


@pytest.mark.parametrize("loader", ["load_scenario", "load_scenario_with_sets"])
def test_an_error_names_the_file_of_the_chain_that_wrote_the_key(tmp_path, loader):
    import negotiation.scenario_files as scenario

    load = getattr(scenario, loader)
    (tmp_path / "base.toml").write_text(f'base = "{BASELINE}"\n[deal]\nhorizon_years = -3\n')
    child = tmp_path / "child.toml"
    child.write_text('base = "base.toml"\nname = "child"\n')
    with pytest.raises(ScenarioError) as err:
        load(child)
    assert str(err.value).startswith(f"{tmp_path / 'base.toml'} (the base of {child}): deal.horizon_years")
    child.write_text('base = "base.toml"\n[deal]\nhorizon_years = -2\n')  # the child overrides: its error
    with pytest.raises(ScenarioError) as err:
        load(child)
    assert str(err.value).startswith(f"{child}: deal.horizon_years") and "got -2" in str(err.value)


def test_the_calendar_derives_the_rounds_and_the_concession_clock():
    spec = load_scenario(BASELINE)
    months = spec.protocol.round_months
    assert spec.protocol.max_rounds == int(spec.deal.horizon_years * 12 / months + 1e-9)
    assert spec.protocol.concession_rounds == int(spec.deal.talks_deadline_years * 12 / months + 1e-9)
    later = with_overrides(spec, {"deal.talks_deadline_years": 1.0})
    assert later.protocol.concession_rounds == 24
    fixed = with_overrides(spec, {"protocol.concession_rounds": 3})
    assert with_overrides(fixed, {"deal.talks_deadline_years": 1.0}).protocol.concession_rounds == 3


def test_the_concession_clock_never_lengthens_as_the_talks_deadline_comes_sooner():
    """Each side concedes by the talks' deadline: a deadline within the first round (or a threat in force from
    the start) means at once, not over the whole horizon (t_max jumped from 1 to the last round below one round)."""
    spec = load_scenario(BASELINE)
    deadlines = [0.0, 0.01, 0.03, 0.042, 0.1, 0.312, 1.0, 3.0, 10.0]
    clocks = [with_overrides(spec, {"deal.talks_deadline_years": d}).protocol.concession_rounds for d in deadlines]
    assert clocks == sorted(clocks) and clocks[0] == 1 and clocks[-1] == spec.protocol.max_rounds


def test_a_derived_deadline_obeys_the_cap_on_rounds():
    with pytest.raises(ScenarioError, match="at most 10,000"):
        load_scenario(BASELINE, ["deal.horizon_years=50", "protocol.round_months=0.05"])


def test_a_per_round_discount_sets_the_yearly_rate_in_the_package_game():
    from negotiation.model import NegotiationModel

    spec = load_scenario(BASELINE, ["agents.japan.discount=0.999"])
    months = spec.protocol.round_months
    assert spec.agents["japan"].discount_rate_per_year == pytest.approx(-math.log(0.999) * 12 / months)
    result = NegotiationModel(spec, rng=0, collect_data=False).run(solve=False)
    assert result.discounts["japan"] == pytest.approx(0.999)  # the factor the run reports is the one given
    with pytest.raises(ScenarioError, match="discount rate of .* a year; at most"):
        load_scenario(BASELINE, ["agents.japan.discount=1e-9"])
