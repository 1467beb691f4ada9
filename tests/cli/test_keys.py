"""chipdeal keys: every key of a scenario, with type, unit, range, value and source, read from the schema."""

import json
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from negotiation.keypaths import key_paths
from negotiation.keys import comments, describe, file_sources, range_of, type_of, unit_of
from negotiation.scenario_files import default_scenario_path, load_scenario, read_scenario, value_at

SURVIVING = ["deal.equity_fraction", "deal.fund_usd_bn", "deal.horizon_years", "deal.two_phase",
             "agents.us.discount_rate_per_year", "agents.japan.outside_option_share"]


def keys_json(cli, *args):
    code, out, err = cli("keys", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_keys_lists_every_key_of_the_schema_with_the_scenario_values(cli):
    out = keys_json(cli)
    spec = load_scenario()
    listed = [row["key"] for row in out["keys"]]
    assert listed == key_paths(read_scenario(default_scenario_path()))
    assert set(SURVIVING) <= set(listed) and any(k.startswith("protocol.") for k in listed)
    for row in out["keys"]:
        value = value_at(spec, row["key"])
        assert row["value"] == (value.model_dump() if hasattr(value, "model_dump") else value), row["key"]
    assert out["scenario"] == spec.name


def test_units_come_from_the_name_and_ranges_from_the_field_constraints(cli):
    rows = {row["key"]: row for row in keys_json(cli)["keys"]}
    assert rows["deal.fund_usd_bn"]["unit"] == "$bn"
    assert rows["deal.horizon_years"]["unit"] == "years"
    assert rows["agents.us.discount_rate_per_year"]["unit"] == "per year"
    assert rows["deal.equity_fraction"]["unit"] == "fraction" and rows["deal.equity_fraction"]["type"] == "float"
    assert rows["deal.equity_fraction"]["range"] == "[0, 1]"
    assert rows["deal.two_phase"]["type"] == "bool"
    assert rows["agents.japan.role"]["range"] == "one of principal"
    for key, row in rows.items():
        leaf = key.rsplit(".", 1)[-1]
        assert row["unit"] == unit_of(leaf)
        if leaf.endswith("_share") or leaf.endswith("_fraction"):
            assert row["unit"] in ("share", "fraction")


def test_sources_follow_the_base_chain_and_read_the_facts_and_assumption_tags(cli):
    rows = {row["key"]: row for row in keys_json(cli, "runs/scenarios/short_horizon.toml")["keys"]}
    own = rows["deal.relief_life_years"]
    assert own["value"] == 2 and own["source"]["file"].endswith("short_horizon.toml")
    inherited = rows["deal.fund_usd_bn"]["source"]
    assert inherited["origin"] == "file" and inherited["file"].endswith("baseline.toml")
    assert inherited["tags"] == ["FACTS"] and "package-size" in inherited["comment"]
    text = default_scenario_path().read_text().splitlines()
    assert "fund_usd_bn = 550" in text[inherited["line"] - 1]
    assert rows["agents.japan.outside_option_share"]["source"]["tags"] == ["ASSUMPTION"]
    assert rows["deal.recoup_rate_per_year"]["source"]["tags"] == ["FACTS", "ASSUMPTION"]


def test_set_default_and_derived_sources(cli):
    rows = {r["key"]: r for r in keys_json(cli, "--set", "agents.japan.outside_option_share=0.5")["keys"]}
    assert rows["agents.japan.outside_option_share"]["value"] == 0.5
    assert rows["agents.japan.outside_option_share"]["source"]["origin"] == "--set"
    assert rows["protocol.collect_data"]["source"]["origin"] == "default"
    assert rows["protocol.max_rounds"]["source"]["origin"] == "derived"  # from the horizon: not in the file


def test_without_removes_the_actor_keys(cli, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(f'base = "{default_scenario_path().resolve()}"\nwithout = ["tsmc"]\n[deal]\nfund_usd_bn = 400'
                    "  # ASSUMPTION: smaller\n")
    rows = {r["key"]: r for r in keys_json(cli, path)["keys"]}
    assert not any(k.startswith("agents.tsmc.") for k in rows)
    assert rows["deal.fund_usd_bn"]["source"]["line"] == 4 and rows["deal.fund_usd_bn"]["source"]["file"]


def test_table_output_and_the_params_alias(cli):
    code, table, _ = cli("keys")
    assert code == 0
    lines = table.splitlines()
    assert lines[2].split()[:6] == ["key", "type", "unit", "range", "value", "source"]
    row = next(ln for ln in lines if ln.startswith("deal.equity_fraction "))
    assert "fraction" in row and "[0, 1]" in row and "0.015" in row and "FACTS" in row
    assert cli("params") == (0, table, "")


def test_comments_of_key_lines():
    text = ('name = "a # not a comment"  # the name\n'
            "[deal]  # a header comment\n"
            "fund_usd_bn = 550          # FACTS: one\n"
            "                           # two\n"
            "# a comment of its own, not a continuation\n"
            "x = [1,  # the list\n"
            "  2]\n"
            'description = """many\n'
            "lines # not a comment\n"
            '"""\n'
            "[agents.us]\n"
            'role = "counterpart"\n'
            '"quoted.key" = 1 # q\n')
    assert comments(text) == {
        "name": (1, "the name"),
        "deal.fund_usd_bn": (3, "FACTS: one two"),
        "deal.x": (6, "the list"),
        "deal.description": (8, ""),
        "agents.us.role": (12, ""),
        "agents.us.quoted.key": (13, "q"),
    }


def test_file_sources_of_a_chain_let_the_file_win(tmp_path):
    (tmp_path / "base.toml").write_text("[deal]\nfund_usd_bn = 1  # FACTS: base\nequity_fraction = 0.1  # base\n")
    (tmp_path / "top.toml").write_text('base = "base.toml"\n[deal]\nfund_usd_bn = 2  # ASSUMPTION: top\n')
    sources = file_sources(tmp_path / "top.toml")
    assert sources["deal.fund_usd_bn"].tags == ("ASSUMPTION",) and sources["deal.fund_usd_bn"].line == 3
    assert sources["deal.fund_usd_bn"].file.endswith("top.toml")
    assert sources["deal.equity_fraction"].comment == "base" and sources["deal.equity_fraction"].tags == ()


# A schema of its own: keys.py must follow whatever tables, tables by key and constraints a schema has.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Lab(_Strict):
    role: Literal["lab"]
    staff_months: int = Field(3, ge=1, lt=100)


class Fab(_Strict):
    role: Literal["fab"]
    yield_fraction: float = Field(0.9, gt=0, le=1)


class Economics(_Strict):
    rate_per_year: float = Field(0.05, ge=0)
    code: str = Field("USD", pattern="^[A-Z]{3}$")
    mode: Literal["fast", "slow"] = "fast"


class World(_Strict):
    economics: Economics = Economics()
    sites: dict[str, Annotated[Lab | Fab, Field(discriminator="role")]] = Field(default_factory=dict)
    tags: list[str] = []


def test_a_new_schema_is_described_without_any_key_listed_by_hand():
    world = World.model_validate({"economics": {"rate_per_year": 0.1},
                                  "sites": {"a": {"role": "lab"}, "b": {"role": "fab", "yield_fraction": 0.5}}})
    rows = {r.key: r for r in describe(world)}
    assert list(rows) == ["economics.rate_per_year", "economics.code", "economics.mode", "sites.a.role",
                          "sites.a.staff_months", "sites.b.role", "sites.b.yield_fraction", "tags"]
    assert rows["economics.rate_per_year"].unit == "per year" and rows["economics.rate_per_year"].range == "≥ 0"
    assert rows["economics.rate_per_year"].source.origin == "derived"  # not from a file, not the default
    assert rows["economics.code"].range == "matches ^[A-Z]{3}$" and rows["economics.code"].source.origin == "default"
    assert rows["economics.mode"].type == "choice" and rows["economics.mode"].range == "one of fast, slow"
    assert rows["sites.a.staff_months"].range == "[1, 100)" and rows["sites.a.staff_months"].unit == "months"
    assert rows["sites.b.yield_fraction"].range == "(0, 1]" and rows["sites.b.yield_fraction"].value == 0.5
    assert rows["tags"].type == "list[str]"
    assert key_paths({"sites": {"x": {"role": "fab"}}}, root=World) == [
        "economics.rate_per_year", "economics.code", "economics.mode", "sites.x.role", "sites.x.yield_fraction",
        "tags"]


@pytest.mark.parametrize("name, unit", [("fund_usd_bn", "$bn"), ("relief_usd_bn_per_year", "$bn/year"),
                                        ("margin_per_usd", "per $"), ("round_months", "months"),
                                        ("max_rounds", "rounds"), ("failure_probability", "probability"),
                                        ("loading", "")])
def test_unit_of_name(name, unit):
    assert unit_of(name) == unit


def test_type_and_range_of_fields():
    fields = Economics.model_fields
    assert type_of(fields["rate_per_year"]) == "float" and range_of(fields["rate_per_year"]) == "≥ 0"
    assert type_of(Lab.model_fields["staff_months"]) == "int"
