"""Declared match columns: read from contract columns or custom attributes, normalised, stored as
JSON per source record and read back; a configuration naming an undeclared column is refused."""

from __future__ import annotations

import pandas as pd
import pytest

from flows.settings import CONFIG_DIR
from tasks.errors import ConfigError
from tasks.identity.assignment import load_dedupe_config, match_fields, stored_fields
from tasks.identity.declared import MatchColumn, declared_fields, read_extra, stored_extra
from tasks.intake.contract import custom_column


def test_declared_columns_are_read_normalised_stored_and_read_back():
    rows = pd.DataFrame({
        "job_title": ["  Head of   Sales ", None, "CTO"],
        custom_column("date_of_birth"): ["1980-03-04", "04/03/1980", None],
        custom_column("street"): ["Müller-Straße 5", "Hauptstr. 1", ""],
    }, dtype=object)
    columns = {"title": MatchColumn(source="job_title"),
               "dob": MatchColumn(source="date_of_birth", normalise="date"),
               "dob_eu": MatchColumn(source="date_of_birth", normalise="date", date_format="%d/%m/%Y"),
               "street": MatchColumn(source="street", normalise="name"),
               "postcode": MatchColumn(source="postcode")}   # not in the day's files: missing
    fields = declared_fields(rows, columns)
    assert fields.to_dict("list") == {
        "title": ["head of sales", None, "cto"],
        "dob": ["1980-03-04", "04/03/1980", None],          # not ISO: kept as text
        "dob_eu": ["1980-03-04", "1980-03-04", None],       # day first read; the ISO one kept as its text
        "street": ["muller strasse", "hauptstr", None],     # folded as names: digits and punctuation dropped
        "postcode": [None, None, None]}
    stored = stored_extra(fields, list(columns))
    assert stored.tolist() == [
        '{"dob": "1980-03-04", "dob_eu": "1980-03-04", "street": "muller strasse", "title": "head of sales"}',
        '{"dob": "04/03/1980", "dob_eu": "1980-03-04", "street": "hauptstr"}',
        '{"title": "cto"}']
    back = read_extra(pd.Series(list(stored) + [None], dtype=object), ["dob", "title", "later"], pd.RangeIndex(4))
    assert back.to_dict("list") == {"dob": ["1980-03-04", "04/03/1980", None, None],
                                    "title": ["head of sales", None, "cto", None],
                                    "later": [None, None, None, None]}


def test_the_lead_path_carries_declared_columns_and_refuses_unknown_ones(tmp_path):
    text = (CONFIG_DIR / "dedupe.yaml").read_text().replace(
        "match_columns: {}", "match_columns:\n  birth_date: {source: date_of_birth, normalise: date}")
    (tmp_path / "dedupe.yaml").write_text(text)
    config = load_dedupe_config(tmp_path / "dedupe.yaml")
    rows = pd.DataFrame({"email_key": ["a@x.com"], "first_name": ["Ann"], "last_name": ["Lee"], "company": [None],
                         "city": [None], "country": ["US"], "phone_e164": [None],
                         custom_column("date_of_birth"): ["1990-01-02"]}, dtype=object)
    assert match_fields(rows, config)["birth_date"].tolist() == ["1990-01-02"]
    identities = pd.DataFrame({"lead_id": ["l1"], "first_key": ["ann"], "match_extra": ['{"birth_date": "1990-01-02"}']})
    assert stored_fields(identities, config.declared).to_dict("list") == {
        "lead_id": ["l1"], "first_key": ["ann"], "birth_date": ["1990-01-02"]}

    (tmp_path / "dedupe.yaml").write_text(text.replace("  comparisons:\n", (
        "  comparisons:\n    - {name: street, method: exact, columns: [street], agree: 1.0, disagree: -1.0}\n"), 1))
    with pytest.raises(ConfigError, match="'street', which is neither a match field nor declared"):
        load_dedupe_config(tmp_path / "dedupe.yaml")
    (tmp_path / "dedupe.yaml").write_text(text.replace("birth_date:", "city_key:"))
    with pytest.raises(ConfigError, match="'city_key' is a built-in match field"):
        load_dedupe_config(tmp_path / "dedupe.yaml")
