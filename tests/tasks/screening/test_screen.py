"""Screening: every lead row goes on, is quarantined or is rejected, with its reasons and raw row."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from tasks.privacy.erasure import Ledger, tombstones
from tasks.screening.fraud import RELEASED, RETURNING, FraudRules
from tasks.privacy.hash_keys import HashKeys
from tasks.identity.blocking import HashKey
from tasks.screening.screen import INVALID_EMAIL, screen_leads, screen_rows
from tasks.intake.validate import ValidationReport

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
    # A malformed address alone rejects nobody: the lead goes on without it (flagged).
    assert screened.survivors["source_lead_id"].tolist() == ["1", "2"]
    assert screened.survivors[["email", "email_key", "email_domain"]].iloc[1].isna().all()
    assert screened.survivors[INVALID_EMAIL].tolist() == [None, "=cmd|' /C calc'!A0@x"]  # inert text, as it came
    aside = screened.set_aside
    assert aside["row_number"].tolist() == [2, 3]
    assert aside["disposition"].tolist() == ["rejected", "quarantined"]
    assert aside["reasons"].tolist() == ["honeypot;form_too_fast",
                                         "_created_at_utc: expect_column_values_to_not_be_null"]
    assert screened.overridden.empty and screened.override_counts() == {"flagged:invalid_email": 1}
    assert screened.flagged.to_dict("list") == {"row_number": [1], "flags": ["invalid_email"]}


def test_a_malformed_email_is_a_reason_only_beside_another_or_under_policy_reject():
    day = leads({"source_lead_id": "1", "email": "x@name@domain.com", "first_name": "Ann", "company": "Acme"},
                {"source_lead_id": "2", "email": "x@name@domain.com", "first_name": "Ann", "honeypot": "http://x"})
    screened = screen_leads(day, report({}), FraudRules(), RUN_DATE)
    assert screened.survivors["source_lead_id"].tolist() == ["1"]
    assert screened.set_aside["reasons"].tolist() == ["honeypot;invalid_email"]  # every code that fired
    strict = FraudRules.model_validate({"rules": {"invalid_email": {"policy": "reject"}}})
    rejected = screen_leads(day, report({}), strict, RUN_DATE)
    assert rejected.survivors.empty and rejected.set_aside["reasons"].tolist() == ["invalid_email",
                                                                                     "honeypot;invalid_email"]


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


def erased_ledger(**values: list[str]) -> Ledger:
    """A ledger with tombstones of `values` (kind -> values), made under a test key."""
    keys = HashKeys(HashKey.derive("the test warehouse secret"))
    stones = pd.DataFrame([{"kind": kind, "tombstone": int(t), "key_fingerprint": keys.current.fingerprint}
                           for kind, vs in values.items() for t in tombstones(kind, np.array(vs, dtype=object),
                                                                              keys.current)])
    return Ledger(stones, keys)


def test_rows_of_erased_people_are_set_aside_as_erased_holding_nothing():
    # Issue 12, item 9: an erased person's rows are dropped by email (any case, Gmail dots), phone
    # or source record, even rows validation would quarantine, and kept as counts only.
    ledger = erased_ledger(email=["annlee@gmail.com"], phone=["+14155552671"], source_record=["crm\x1fc-9"])
    day = leads({"source_lead_id": "1", "email": " Ann.Lee@GMAIL.com"},
                {"source_lead_id": "2", "email": "bo@acme.com", "phone": "(415) 555-2671", "country": "US"},
                {"source_lead_id": "3", "email": "cy@acme.com"},
                {"source_system": "crm", "source_lead_id": "c-9", "email": "other@acme.com"},
                {"source_lead_id": "5", "email": "a.n.n.lee+x@googlemail.com", "created_at": "soon"},
                {"source_lead_id": "6", "email": "dee@acme.com", "created_at": "soon"})
    screened = screen_leads(day, report({4: "_created_at_utc: not null", 5: "_created_at_utc: not null"}),
                            FraudRules(), RUN_DATE, ledger=ledger)
    assert screened.survivors["source_lead_id"].tolist() == ["3"]
    aside = screened.set_aside
    assert aside["row_number"].tolist() == [0, 1, 3, 4, 5]
    assert aside["disposition"].tolist() == ["erased", "erased", "erased", "erased", "quarantined"]
    erased = aside[aside["disposition"] == "erased"]
    assert erased["raw"].eq("{}").all() and erased["reasons"].eq("erased").all()
    assert erased["source_system"].isna().all() and erased["source_lead_id"].isna().all()


def test_activities_and_outcomes_of_erased_people_are_dropped_before_quarantine():
    ledger = erased_ledger(source_record=["hubspot\x1f1"])
    activities = pd.DataFrame({"source_system": ["hubspot", "hubspot", "hubspot"], "activity_id": ["a", "b", "c"],
                               "source_lead_id": ["1", "2", "1"], "occurred_at": ["2026-03-02T10:00:00Z"] * 3,
                               "activity_type": ["page_view", "page_view", "bad"], "ip_address": ["10.0.0.1"] * 3},
                              dtype=object)
    bad = ValidationReport("activities", [], pd.DataFrame({"reasons": ["activity_type: in set"]}, index=[2]),
                           pd.DataFrame())
    kept, quarantined = screen_rows(activities, bad, "activities", RUN_DATE, ledger)
    assert kept["activity_id"].tolist() == ["b"] and kept["row_number"].tolist() == [1]
    assert quarantined.empty  # the erased person's malformed row is kept nowhere


def test_an_unsplit_row_holding_an_erased_persons_email_or_phone_is_erased():
    # A row with the wrong number of fields has no columns to match on: its text is searched.
    ledger = erased_ledger(email=["annlee@gmail.com"], phone=["+14155552671"])
    day = leads({"source_lead_id": "1", "email": "cy@acme.com"}).reindex(range(4)).astype(object)
    day = day.where(day.notna(), None).assign(_raw_line=[
        None, "hubspot,2,2026-03-02T10:00:00Z,Ann.Lee@gmail.com,,extra", "hubspot,3,x,bo@acme.com,+1 415 555 2671,x",
        "hubspot,4,2026-03-02T10:00:00Z,dee@acme.com,extra"])
    reasons = {i: f"line {i + 2}: 6 field(s) where the header has 5" for i in (1, 2, 3)}
    screened = screen_leads(day, report(reasons), FraudRules(), RUN_DATE, ledger=ledger)
    aside = screened.set_aside
    assert aside["disposition"].tolist() == ["erased", "erased", "quarantined"]
    assert aside["raw"].tolist()[:2] == ["{}", "{}"]
    assert json.loads(aside["raw"].iloc[2]) == {"line": "hubspot,4,2026-03-02T10:00:00Z,dee@acme.com,extra"}
