from __future__ import annotations

import pandas as pd
import pytest

from tasks.screening.normalize import email_key, normalise_leads, parse_bool, per_distinct, phone_e164


@pytest.mark.parametrize(("raw", "key"), [
    ("  Ann.Lee@Example.COM ", "ann.lee@example.com"),           # dots kept off Gmail
    ("ann.lee+news@example.com", "ann.lee+news@example.com"),     # +tags kept off Gmail
    ("A.N.N.Lee+promo@gmail.com", "annlee@gmail.com"),
    ("annlee@GoogleMail.com", "annlee@gmail.com"),
    ("no-at-sign", None),
    ("@example.com", None),
    ("+tag@gmail.com", None),
])
def test_email_key(raw, key):
    assert email_key(raw) == key


@pytest.mark.parametrize(("phone", "country", "e164"), [
    ("(415) 555-2671", "US", "+14155552671"),
    ("415.555.2671", "us", "+14155552671"),
    ("+1 415 555 2671", "DE", "+14155552671"),       # its own prefix wins over the country
    ("020 7946 0958", "GB", "+442079460958"),
    ("030 123456", "DE", "+4930123456"),
    ("12", "US", None),
    ("call me", "US", None),
    ("555-2671", None, None),                        # no country, no prefix: cannot be read
])
def test_phone_e164(phone, country, e164):
    assert phone_e164((phone, country)) == e164


def test_per_distinct_calls_once_per_value():
    calls = []
    out = per_distinct(pd.Series(["a", "b", "a", None, "a"]), lambda v: calls.append(v) or v.upper())
    assert out.tolist() == ["A", "B", "A", None, "A"]
    assert sorted(calls) == ["a", "b"]


def test_parse_bool():
    assert parse_bool(" Yes", False) is True and parse_bool("0", True) is False
    assert parse_bool("maybe", True) is True


def test_normalise_leads_adds_keys_and_types():
    leads = pd.DataFrame({
        "email": ["Bob.Smith+x@gmail.com", None], "phone": [None, "(415) 555-2671"], "country": ["US", "US"],
        "created_at": ["2026-03-02T10:00:00Z", "not a time"], "updated_at": [None, "2026-03-02T11:00:00+01:00"],
        "employee_count": ["250", "lots"], "annual_revenue": ["1e6", None],
        "email_consent": ["true", None], "do_not_contact": ["false", "yes"],
    })
    out = normalise_leads(leads)
    assert out["email_key"].tolist() == ["bobsmith@gmail.com", None]
    assert out["email_domain"].tolist() == ["gmail.com", None]
    assert out["phone_e164"].tolist() == [None, "+14155552671"]
    assert out["created_ts"][0] == pd.Timestamp("2026-03-02T10:00:00Z") and pd.isna(out["created_ts"][1])
    assert out["updated_ts"][0] == out["created_ts"][0]   # no update time: the creation time
    assert out["updated_ts"][1] == pd.Timestamp("2026-03-02T10:00:00Z")
    assert out["employee_count_num"][0] == 250 and pd.isna(out["employee_count_num"][1])
    assert out["consent"].tolist() == [True, None] and out["dnc"].tolist() == [False, True]


# --- identity resolution: names, companies, nicknames ---------------------------------------------

from tasks.screening.normalize import company_key, fold, name_key, same_first_name  # noqa: E402


def test_name_key_folds_unicode_case_titles_and_punctuation():
    assert name_key("Dr. Zoë O'Brien-Smith") == "zoe obrien smith"
    assert name_key("  JOHN   ") == "john"
    assert name_key("Łukasz") == "lukasz" and name_key("Straße") == "strasse"
    assert name_key("محمد") == "mhmd"  # transliterated, so a record in two scripts can meet
    for empty in ("", "   ", "😀", "\x00", "Mr."):
        assert name_key(empty) is None


def test_company_key_drops_legal_forms_punctuation_and_case():
    same = ["ACME, Inc.", "Acme GmbH", "acme", "The Acme Ltd."]
    assert {company_key(c) for c in same} == {"acme"}
    assert company_key("Müller GmbH & Co. KG") == "muller"
    assert company_key("Smith & Sons Ltd") == company_key("Smith and Sons") == "smith and sons"
    assert company_key("Oak Point Advisors, LLC") == "oak point advisors"
    assert company_key("Banco Santander S.A.") == "banco santander"
    assert company_key("Inc.") == "inc"  # a legal form alone is the name
    assert company_key("") is None and company_key("😀") is None


def test_first_names_match_nicknames_not_shared_nicknames():
    assert same_first_name("bob", "robert") and same_first_name("robert", "bob")
    assert same_first_name("beth", "liz")          # both nicknames of elizabeth
    assert not same_first_name("alan", "albert")   # merely share "al"
    assert not same_first_name("john", "jane")


def test_hostile_values_normalise_without_error():
    for value in ("x" * 10_000, "\u202eevil", "a\x00b", "=cmd|' /C calc'!A0", "😀" * 500, "'; DROP TABLE leads; --"):
        fold(value)
        name_key(value)
        company_key(value)
    assert len(name_key("x" * 10_000)) <= 200
