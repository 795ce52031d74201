"""The model language a fitted model needs: base score, bins, not_in, placeholders, partial derivations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tasks.errors import ConfigError
from tasks.scoring.model import load_model
from tasks.scoring.score import derive_attributes, score_leads

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "scoring_model.yaml"
NO_STATE = pd.DataFrame(columns=["lead_id", "rule", "decayed_value", "state_date"])
NO_ACTIVITY = pd.DataFrame(columns=["lead_id", "activity_type", "asset"])


def write(tmp_path: Path, change) -> Path:
    """The shipped model with `change(data)` applied, as a file."""
    data = yaml.safe_load(SHIPPED.read_text())
    change(data)
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def profiles(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """Varied profiles: every shipped rule fires for some, blanks and odd cases included."""
    rng = np.random.default_rng(seed)
    pick = lambda options: [options[i] for i in rng.integers(0, len(options), n)]  # noqa: E731
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "job_title": pick(["CEO", "VP Sales", "Director of IT", "Marketing Manager", "Intern", "Engineer", None, ""]),
        "industry": pick(["Software", "software ", "RETAIL", "Education", "Mining", None, ""]),
        "employee_count": pick(["5", "20", "199", "200", "999", "1000", "25000", None, "lots"]),
        "annual_revenue": pick(["1e6", "5e7", "49999999", None]),
        "country": pick(["US", "de", "BR", "", None]),
        "company": pick(["Acme", None, "", "N/A"]),
        "custom_attributes": pick(['{}', '{"plan": "Pro"}', '{"plan": "Select"}', '{"plan": "free"}']),
    })


def scored(model_path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    model = load_model(model_path)
    result = score_leads(derive_attributes(frame, model), NO_STATE, NO_ACTIVITY, date(2026, 3, 2), model)
    return result.scores.set_index("lead_id")


def test_shipped_model_scores_the_same_when_written_with_the_new_constructs(tmp_path):
    """The old file is read as before: spelling out the new defaults (base 0, no placeholders) and
    writing its size ranges as one `bins` rule changes no score."""
    frame = profiles()
    before = scored(SHIPPED, frame)

    def rewrite(data):
        data["missing_values"] = []
        data["fit"]["base"] = 0
        rules = [r for r in data["fit"]["rules"] if not r["name"].startswith("size_")]
        rules.insert(3, {"name": "size", "field": "employee_count", "op": "bins", "bins": [
            {"max": 20, "points": 0}, {"min": 20, "max": 200, "points": 5}, {"min": 200, "max": 1000, "points": 15},
            {"min": 1000, "points": 20}]})
        data["fit"]["rules"] = rules

    after = scored(write(tmp_path, rewrite), frame)
    pd.testing.assert_frame_equal(before, after)
    assert before["fit_score"].nunique() > 10  # the frame exercises the rules
    assert before.loc["L0":"L9", "fit_score"].tolist() == after.loc["L0":"L9", "fit_score"].tolist()


def test_base_bins_not_in_and_placeholders(tmp_path):
    def fitted(data):
        data["missing_values"] = ["Select", "N/A", "-", "unknown"]
        data["fit"] = {"base": 30, "cap": 100, "rules": [
            {"name": "size", "field": "employee_count", "op": "bins",
             "bins": [{"max": 50, "points": -10}, {"min": 50, "max": 500, "points": 4}, {"min": 500, "points": 12}]},
            {"name": "industry_known", "field": "industry", "op": "in", "values": ["Software"], "points": 9},
            {"name": "industry_other", "field": "industry", "op": "not_in", "values": ["Software"], "points": -3},
            {"name": "industry_missing", "field": "industry", "op": "missing", "points": -6},
            {"name": "plan_missing", "field": "plan", "op": "missing", "points": -1},
        ]}

    path = write(tmp_path, fitted)
    frame = pd.DataFrame({
        "lead_id": ["a", "b", "c", "d", "e"],
        "job_title": None,
        "industry": ["  SOFTWARE", "Mining", "unknown", "Never Seen Before", None],
        "employee_count": ["10", "50", "499.5", "N/A", "100000"],
        "annual_revenue": None, "country": None, "company": "Acme",
        "custom_attributes": ['{"plan": "Select"}', '{"plan": "pro"}', "{}", '{"plan": "-"}', '{"plan": 3}'],
    })
    model = load_model(path)
    result = score_leads(derive_attributes(frame, model), NO_STATE, NO_ACTIVITY, date(2026, 3, 2), model)
    fit = result.scores.set_index("lead_id")["fit_score"]
    assert fit.to_dict() == {"a": 30 - 10 + 9 - 1, "b": 30 + 4 - 3, "c": 30 + 4 - 6 - 1,
                             "d": 30 - 3 - 1, "e": 30 + 12 - 6}
    ledger = result.contributions
    assert ledger.loc[(ledger["lead_id"] == "a") & (ledger["rule"] == "base"), "points"].tolist() == [30.0]
    assert ledger.groupby("lead_id")["points"].sum().to_dict() == pytest.approx(
        result.scores.set_index("lead_id")["total_score"].to_dict())


def test_high_cardinality_and_case_variants_score(tmp_path):
    values = [f"Source {i}" for i in range(5000)]
    path = write(tmp_path, lambda d: d["fit"]["rules"].append(
        {"name": "source_listed", "field": "lead_source", "op": "in", "values": values[:2500], "points": 2}))
    frame = profiles(6).assign(lead_source=["source 1", "SOURCE 2499", "Source 2500", "google", "Google", None])
    model = load_model(path)
    ledger = score_leads(derive_attributes(frame, model), NO_STATE, NO_ACTIVITY, date(2026, 3, 2),
                         model).contributions
    hits = set(ledger.loc[ledger["rule"] == "source_listed", "lead_id"])
    assert hits == {"L0", "L1"}


def test_partial_or_empty_derivations_score_without_them(tmp_path):
    frame = profiles(20)
    for derive in ({}, {"seniority": {"executive": r"\b(ceo|vp)\b"}}):
        path = write(tmp_path, lambda d: d.update(derive=derive))
        model = load_model(path)
        derived = derive_attributes(frame, model)
        assert derived["department"].isna().all()
        result = score_leads(derived, NO_STATE, NO_ACTIVITY, date(2026, 3, 2), model)
        assert "buying_department" not in set(result.contributions["rule"])
    assert set(derived.loc[derived["job_title"] == "CEO", "seniority"]) == {"executive"}
    no_derive = write(tmp_path, lambda d: d.pop("derive"))
    assert load_model(no_derive).derive == {}


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(derive={"seniority": {}}), r"derive.seniority: no labels"),
    (lambda d: d.update(derive={"seniority": {"x": "(unclosed"}}), r"derive.seniority.x: .* not a regular expression"),
    (lambda d: d.update(derive={"tenure": {"x": "y"}}), r"derive.tenure"),
    (lambda d: d["fit"]["rules"].append({"name": "b", "field": "employee_count", "op": "bins",
                                          "bins": [{"max": 10, "points": 1}, {"min": 5, "points": 2}]}),
     r"fit.rules.14: .*increasing order without overlap"),
    (lambda d: d["fit"]["rules"].append({"name": "b", "field": "employee_count", "op": "bins", "bins": []}),
     r"needs at least one bin"),
    (lambda d: d["fit"]["rules"].append({"name": "n", "field": "industry", "op": "not_in", "points": 1}),
     r"op 'not_in' needs 'values'"),
    (lambda d: d["fit"]["rules"].append({"name": "base", "field": "industry", "op": "missing", "points": 1}),
     r"reserved for the base score"),
])
def test_bad_models_fail_at_load_naming_the_field(tmp_path, change, message):
    with pytest.raises(ConfigError, match=r"model.yaml: .*" + message):
        load_model(write(tmp_path, change))


def test_rules_over_several_conditions(tmp_path):
    def combined(data):
        data["missing_values"] = ["N/A"]
        data["fit"] = {"cap": 100, "rules": [
            {"name": "big_software", "points": 20, "all": [
                {"field": "industry", "op": "in", "values": ["Software"]},
                {"field": "employee_count", "op": "range", "min": 200}]},
            {"name": "exec_or_pro", "points": 7, "any": [
                {"field": "seniority", "op": "equals", "value": "executive"},
                {"field": "plan", "op": "pattern", "pattern": "^pro"}]},
            {"name": "not_student_nor_unknown_company", "points": 5, "not": {"any": [
                {"field": "job_title", "op": "pattern", "pattern": "intern"},
                {"field": "company", "op": "missing"}]}},
            {"name": "small_outside_core", "points": -4, "all": [
                {"field": "employee_count", "op": "range", "max": 50},
                {"not": {"field": "country", "op": "in", "values": ["US", "DE"]}}]},
        ]}
        data["derive"] = {"seniority": {"executive": r"\b(ceo|vp)\b"}}

    model = load_model(write(tmp_path, combined))
    frame = pd.DataFrame({
        "lead_id": ["a", "b", "c", "d", "e"],
        "job_title": ["CEO", "Intern", "Engineer", None, "VP Sales"],
        "industry": ["software", "Software", "Mining", "Software", None],
        "employee_count": ["500", "200", "10", "N/A", "20"],
        "annual_revenue": None, "country": ["US", None, "BR", "DE", "de"],
        "company": ["Acme", "Acme", "N/A", "", "Acme"],
        "custom_attributes": ["{}", '{"plan": "Pro"}', '{"plan": "free"}', "{}", '{"plan": "professional"}'],
    })
    result = score_leads(derive_attributes(frame, model), NO_STATE, NO_ACTIVITY, date(2026, 3, 2), model)
    ledger = result.contributions
    hits = {rule: sorted(ledger.loc[ledger["rule"] == rule, "lead_id"]) for rule in
            ("big_software", "exec_or_pro", "not_student_nor_unknown_company", "small_outside_core")}
    assert hits == {"big_software": ["a", "b"], "exec_or_pro": ["a", "b", "e"],
                    "not_student_nor_unknown_company": ["a", "e"], "small_outside_core": ["c"]}
    fit = result.scores.set_index("lead_id")["fit_score"]
    assert fit.to_dict() == {"a": 20 + 7 + 5, "b": 20 + 7, "c": 0, "d": 0, "e": 7 + 5}
    assert ledger.loc[(ledger["lead_id"] == "c") & (ledger["rule"] == "small_outside_core"), "points"].tolist() == [-4]

    from tasks.scoring.handoff import describe_rule
    words = {rule.name: describe_rule(rule) for rule in model.fit.rules}
    assert words == {
        "big_software": "industry is Software and employee count at least 200",
        "exec_or_pro": "seniority is executive or plan matches ^pro",
        "not_student_nor_unknown_company": "not (job title matches intern or no company)",
        "small_outside_core": "employee count at most 50 and not (country is US or DE)",
    }


@pytest.mark.parametrize("rule, message", [
    ({"name": "x", "points": 1, "all": [{"field": "industry", "op": "equals"}]},
     r"fit.rules.14: .*rule 'x': all\[0\]: op 'equals' needs 'value'"),
    ({"name": "x", "points": 1, "not": {"any": [{"field": "industry", "op": "pattern", "pattern": "("}]}},
     r"rule 'x': not: any\[0\]: pattern '\(' is not a regular expression"),
    ({"name": "x", "points": 1, "any": []}, r"rule 'x': 'any' needs at least one condition"),
    ({"name": "x", "points": 1, "all": [{"field": "a", "op": "missing"}], "any": [{"field": "a", "op": "missing"}]},
     r"rule 'x': give one of 'all', 'any', 'not', not 'all' and 'any'"),
    ({"name": "x", "points": 1, "field": "industry", "not": {"field": "a", "op": "missing"}},
     r"rule 'x': 'not' combines conditions: leave out 'field'"),
    ({"name": "x", "points": 1}, r"rule 'x': needs 'field' and 'op', or one of 'all', 'any', 'not'"),
    ({"name": "x", "points": 1, "all": [{"field": "employee_count", "op": "bins"}]}, r"fit.rules.14.all.0.op: "),
    ({"name": "x", "points": 1, "all": [{"field": "a", "op": "missing", "and": []}]}, r"all.0.and: Extra inputs"),
])
def test_bad_combined_rules_fail_at_load_naming_the_rule(tmp_path, rule, message):
    with pytest.raises(ConfigError, match=r"model.yaml: .*" + message) as error:
        load_model(write(tmp_path, lambda d: d["fit"]["rules"].append(rule)))
    assert "\n" not in str(error.value)
