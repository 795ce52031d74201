"""Screening: every lead row goes on, is quarantined or is rejected, with its reasons and raw row."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from tasks.fraud import RELEASED, RETURNING, FraudRules
from tasks.screen import screen_leads
from tasks.validate import ValidationReport

RUN_DATE = date(2026, 3, 2)


def leads(*rows: dict[str, object]) -> pd.DataFrame:
    base = {"source_system": "hubspot", "created_at": "2026-03-02T10:00:00Z", "form_seconds": "30",
            "first_name": "Ann", "last_name": "Lee"}
    return pd.DataFrame([base | row for row in rows], dtype=object)


def report(quarantined: dict[int, str] | None = None) -> ValidationReport:
    frame = pd.DataFrame({"reasons": list((quarantined or {}).values())}, index=list((quarantined or {}).keys()),
                         dtype=object)
    return ValidationReport("leads", [], frame, pd.DataFrame())


def test_rows_go_on_or_are_set_aside_with_reasons_and_raw_rows():
    day = leads({"source_lead_id": "1", "email": "ann.lee@acme.com"},
                {"source_lead_id": "2", "email": "=cmd|' /C calc'!A0@x"},
                {"source_lead_id": "3", "email": "bo.xu@acme.com", "form_seconds": "1", "honeypot": "http://x"},
                {"source_lead_id": "4", "email": "cy@acme.com", "created_at": "soon"})
    screened = screen_leads(day, report({3: "_created_at_utc: expect_column_values_to_not_be_null"}), FraudRules(),
                            RUN_DATE)
    assert screened.survivors["source_lead_id"].tolist() == ["1"]
    aside = screened.set_aside
    assert aside["row_number"].tolist() == [1, 2, 3]
    assert aside["disposition"].tolist() == ["rejected", "rejected", "quarantined"]
    assert aside["reasons"].tolist() == ["invalid_email", "honeypot;form_too_fast",
                                         "_created_at_utc: expect_column_values_to_not_be_null"]
    assert json.loads(aside["raw"][0])["email"] == "=cmd|' /C calc'!A0@x"  # inert text, as it came
    assert screened.overridden.empty and screened.override_counts() == {}


def test_warehouse_knowledge_exempts_returning_visitors_and_releases():
    day = leads({"source_lead_id": "1", "email": "ann.lee@acme.com", "form_seconds": "1"},
                {"source_lead_id": "2", "email": "jo@mailinator.com"},
                {"source_lead_id": "3", "email": "new@acme.com", "form_seconds": "1"})
    seen = []

    def known(rows: pd.DataFrame) -> pd.DataFrame:
        seen.append(rows["email_key"].tolist())  # normalised before the lookup
        return rows.assign(**{RETURNING: rows["email_key"] == "ann.lee@acme.com",
                              RELEASED: rows["source_lead_id"] == "2"})

    screened = screen_leads(day, report(), FraudRules(), RUN_DATE, known=known)
    assert seen == [["ann.lee@acme.com", "jo@mailinator.com", "new@acme.com"]]
    assert screened.survivors["source_lead_id"].tolist() == ["1", "2"]
    assert RETURNING not in screened.survivors.columns and RELEASED not in screened.survivors.columns
    assert screened.set_aside["reasons"].tolist() == ["form_too_fast"]
    assert screened.overridden.to_dict(orient="records") == [
        {"row_number": 1, "override": "released", "reasons": "disposable_domain"}]
    assert screened.override_counts() == {"passed:released": 1, "overridden:disposable_domain": 1}
