from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from email_validator import EmailNotValidError, validate_email

from tasks.intake.contract import ACTIVITY_COLUMNS, LEAD_COLUMNS, custom_column
from tasks.errors import ConfigError
from tasks.screening.fraud import (
    BOT_ACTIVITY,
    LEAD_REASON_CODES,
    RELEASED,
    RETURNING,
    FraudRules,
    _plainly_valid,
    detect_junk_leads,
    flag_bot_activities,
    judge_leads,
    load_fraud_rules,
)

CONFIG = Path(__file__).resolve().parents[3] / "config" / "fraud.yaml"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
DEFAULTS = FraudRules()


def lead(**values: object) -> dict[str, object]:
    """A clean lead, with the given columns changed."""
    row: dict[str, object] = dict.fromkeys(LEAD_COLUMNS)
    row.update(
        source_system="hubspot", source_lead_id="1", created_at="2024-05-01T10:00:00Z",
        email="maria.garcia@gmail.com", first_name="Maria", last_name="Garcia",
        ip_address="203.0.113.7", user_agent=CHROME, form_seconds="25",
    )
    row.update(values)
    return row


def leads_frame(*rows: dict[str, object]) -> pd.DataFrame:
    """Leads as the normalisation stage hands them over (email_key simplified to lower case)."""
    frame = pd.DataFrame(list(rows), columns=LEAD_COLUMNS, dtype=object)
    keys = [e.strip().lower() if isinstance(e, str) and "@" in e else None for e in frame["email"]]
    frame["email_key"] = pd.Series(keys, index=frame.index, dtype=object)
    frame["email_domain"] = pd.Series(
        [k.rpartition("@")[2] if k else None for k in keys], index=frame.index, dtype=object
    )
    return frame


def reasons(*rows: dict[str, object], rules: FraudRules = DEFAULTS) -> list[str]:
    return detect_junk_leads(leads_frame(*rows), rules).tolist()


def rules_with(**sections: object) -> FraudRules:
    return FraudRules.model_validate(sections)


# --- leads: legitimate cases -----------------------------------------------------------------

@pytest.mark.parametrize("values", [
    {},
    {"email": "  Maria.Garcia+news@GMAIL.com "},
    {"first_name": "Li", "last_name": "Na"},
    {"first_name": "Bo", "last_name": "Xu"},
    {"first_name": "Thanh", "last_name": "Ng"},
    {"first_name": "Siobhán", "last_name": "Ó Sé"},
    {"first_name": "José", "last_name": "Núñez-Bräuer"},
    {"first_name": "Nguyễn", "last_name": "Thị Minh Khai"},
    {"first_name": "娜", "last_name": "李"},
    {"first_name": "Иван", "last_name": "Петров"},
    {"first_name": "محمد", "last_name": "العلي"},
    {"first_name": "Grzegorz", "last_name": "Brzęczyszczykiewicz"},
    {"first_name": "Anna", "last_name": "Lindström"},
    {"first_name": "Neil", "last_name": "Armstrong"},
    {"first_name": "Anahit", "last_name": "Mkrtchyan"},
    {"first_name": "Petra", "last_name": "Kretschmer"},
    {"first_name": "Seán", "last_name": "O'Brien"},
    {"first_name": "Mary-Kate", "last_name": "Smith Jones"},
    {"first_name": "Doe", "last_name": "Sandoval"},               # "Doe" alone is a real name
    {"first_name": "Annna", "last_name": "Dijkkstra"},            # real names with a typo: a tripled
    {"first_name": "Jooohn", "last_name": "Djkstra"},             # letter, a dropped one, a swap
    {"first_name": "Anna", "last_name": "Lindstrmö"},             # that makes a consonant run,
    {"first_name": "Aleksqndr", "last_name": "Bengtssno"},        # a neighbouring key
    {"email": "jan.novak@firma.cz", "email_consent": "true"},
    {"email": "ana@empresa.com.br"},
    {"email": "user@bücher.de"},                                  # internationalised domain
    {"email": None},                                              # phone-only lead
    {"email": ""},
    {"form_seconds": "4"},                                        # browser autofill
    {"form_seconds": None},
    {"form_seconds": "not a number"},
    {"user_agent": "Mozilla/5.0 (Linux; Android 10; CUBOT P40) AppleWebKit/537.36 Chrome/120.0"},
    {"user_agent": None},                                         # imports carry none
    {"honeypot": "   "},
])
def test_legitimate_leads_are_clean(values):
    assert reasons(lead(**values)) == [""]


# --- leads: each rule fires on a clear case --------------------------------------------------

@pytest.mark.parametrize(("values", "expected"), [
    ({"email": "maria..garcia@acme.com"}, "invalid_email"),
    ({"email": "maria.garcia@acme"}, "invalid_email"),
    ({"email": "maria garcia@acme.com"}, "invalid_email"),
    ({"email": "no-at-sign"}, "invalid_email"),
    ({"email": "maria@printer.local"}, "invalid_email"),
    ({"email": "jane@mailinator.com"}, "disposable_domain"),
    ({"email": "jane@eu.mailinator.com"}, "disposable_domain"),   # subdomains too
    ({"email": "info@acme.com"}, "role_mailbox"),
    ({"email": "No_Reply2+x@acme.com"}, "role_mailbox"),
    ({"email": "test@test.com"}, "test_entry"),
    ({"email": "test123@acme.com"}, "test_entry"),
    ({"email": "maria@example.com"}, "test_entry"),
    ({"email": "maria@test.co.uk"}, "test_entry"),
    ({"email": "maria@qa.test"}, "test_entry"),                 # not invalid_email: see the rule
    ({"email": "asdfgh@gmail.com"}, "test_entry"),
    ({"first_name": "Test", "last_name": "Test"}, "test_entry"),
    ({"first_name": "John", "last_name": "Doe"}, "test_entry"),
    ({"first_name": "jane", "last_name": "DOE"}, "test_entry"),
    ({"first_name": "Qwerty", "last_name": "Garcia"}, "test_entry"),
    ({"first_name": "Maria", "last_name": "Asdasd"}, "test_entry"),
    ({"first_name": "Xjkqwzt", "last_name": "Garcia"}, "gibberish_name"),
    ({"first_name": "Maria", "last_name": "Hdjdjsj"}, "gibberish_name"),
    ({"first_name": "Joooohn", "last_name": "Garcia"}, "gibberish_name"),
    ({"first_name": "Maria2", "last_name": "Garcia"}, "gibberish_name"),
    ({"first_name": "...", "last_name": "Garcia"}, "gibberish_name"),
    ({"first_name": "Maria", "last_name": "visit http://spam.example"}, "gibberish_name"),
    ({"first_name": "=HYPERLINK(\"http://evil\",\"x\")", "last_name": "Garcia"}, "gibberish_name"),
    ({"honeypot": "http://spam"}, "honeypot"),
    ({"form_seconds": "1.2"}, "form_too_fast"),
    ({"form_seconds": " 0 "}, "form_too_fast"),
    ({"user_agent": "curl/8.4.0"}, "bot_user_agent"),
    ({"user_agent": "python-requests/2.31.0"}, "bot_user_agent"),
    ({"user_agent": "Go-http-client/1.1"}, "bot_user_agent"),
    ({"user_agent": "Wget/1.21"}, "bot_user_agent"),
    ({"user_agent": CHROME.replace("Chrome/", "HeadlessChrome/")}, "bot_user_agent"),
    ({"user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
     "bot_user_agent"),
    ({"user_agent": "Mozilla/5.0 (Unknown; Linux x86_64) PhantomJS/2.1.1 Safari/538.1"},
     "bot_user_agent"),
    ({"email": "s.jones@mit.edu"}, "student_domain"),
    ({"email": "s.jones@ox.ac.uk"}, "student_domain"),
    ({"email": "s.jones@student.tudelft.nl"}, "student_domain"),
])
def test_rule_fires_alone(values, expected):
    if expected == "invalid_email":  # a flag by default: the lead is kept, its address marked
        verdict = judge_leads(leads_frame(lead(**values)), DEFAULTS)
        assert (verdict.reasons.tolist(), verdict.flagged.tolist()) == ([""], ["invalid_email"])
        assert reasons(lead(**values), rules=rules_with(rules={"invalid_email": {"policy": "reject"}})) == [expected]
        return
    assert reasons(lead(**values)) == [expected]


def test_reasons_are_joined_in_a_stable_order():
    junk = lead(email="info@mailinator.com", first_name="Test", last_name="Test", honeypot="1",
                form_seconds="0.4", user_agent="curl/8.0")
    expected = "honeypot;disposable_domain;test_entry;role_mailbox;bot_user_agent;form_too_fast"
    assert reasons(junk) == [expected]
    assert reasons(junk, lead()) == [expected, ""]
    codes = expected.split(";")
    assert codes == sorted(codes, key=LEAD_REASON_CODES.index)


def test_ip_burst_fires_only_above_the_threshold():
    burst = [lead(source_lead_id=str(i), ip_address="198.51.100.9") for i in range(11)]
    assert reasons(*burst) == ["ip_burst"] * 11
    assert reasons(*burst[:10]) == [""] * 10
    # IPv6 spellings of one address count as one; missing IPs are never a burst.
    spelled = [lead(source_lead_id=str(i), ip_address=ip)
               for i, ip in enumerate(["2001:db8::1", "2001:0db8:0:0::1", "2001:DB8::0001"])]
    assert reasons(*spelled, rules=rules_with(rules={"ip_burst": {"max_leads_per_ip": 2}})) == [
        "ip_burst"] * 3
    assert reasons(*[lead(ip_address=None)] * 12) == [""] * 12


def with_devices(frame: pd.DataFrame, **columns: list[object]) -> pd.DataFrame:
    """Lead rows with extra extract columns (a visitor cookie, a fingerprint), named as the extract
    stage names them."""
    return frame.assign(**{custom_column(name): pd.Series(values, index=frame.index, dtype=object)
                           for name, values in columns.items()})


def test_device_burst_uses_the_first_device_column_present():
    rotating = leads_frame(*[lead(source_lead_id=str(i), ip_address=f"198.51.100.{i}") for i in range(6)])
    burst = with_devices(rotating, device_id=["d-1"] * 6)
    assert detect_junk_leads(burst, DEFAULTS).tolist() == ["device_burst"] * 6
    assert detect_junk_leads(burst.iloc[:5], DEFAULTS).tolist() == [""] * 5
    assert detect_junk_leads(rotating, DEFAULTS).tolist() == [""] * 6  # no device column
    # visitor_id counts where device_id is empty; rows with neither are never a burst.
    twelve = leads_frame(*[lead(source_lead_id=str(i), ip_address=f"192.0.2.{i}") for i in range(12)])
    cookies = with_devices(twelve, device_id=[None] * 12, visitor_id=["v-9"] * 6 + [" "] * 6)
    assert detect_junk_leads(cookies, DEFAULTS).tolist() == ["device_burst"] * 6 + [""] * 6
    rules = rules_with(rules={"device_burst": {"columns": ["fingerprint"], "max_leads_per_device": 1}})
    pair = with_devices(leads_frame(lead(), lead()), fingerprint=["f", "f"])
    assert detect_junk_leads(pair, rules).tolist() == ["device_burst"] * 2
    assert detect_junk_leads(pair, DEFAULTS).tolist() == [""] * 2


def test_honeypot_holding_the_leads_own_details_is_autofill():
    own = [lead(honeypot=" Maria.Garcia@gmail.com"), lead(company="Acme GmbH", honeypot="acme gmbh"),
           lead(honeypot="Garcia"), lead(honeypot="http://spam.example"), lead(company=None, honeypot="x"),
           lead(first_name="Zed", last_name="Zed", honeypot="zed")]  # one string pasted everywhere
    assert reasons(*own) == ["", "", "", "honeypot", "honeypot", "honeypot"]
    strict = rules_with(rules={"honeypot": {"ignore_own_details": False}})
    assert reasons(*own, rules=strict) == ["honeypot"] * 6


def test_returning_visitors_are_never_too_fast():
    known = leads_frame(lead(form_seconds="1"), lead(form_seconds="1"), lead(form_seconds="1", honeypot="x"))
    known[RETURNING] = [True, False, True]
    assert detect_junk_leads(known, DEFAULTS).tolist() == ["", "form_too_fast", "honeypot"]
    strict = rules_with(rules={"form_too_fast": {"exempt_returning_visitors": False}})
    assert detect_junk_leads(known, strict).tolist() == ["form_too_fast", "form_too_fast",
                                                         "honeypot;form_too_fast"]


def test_a_release_overrides_every_rule_and_says_so():
    frame = leads_frame(lead(email="jane@mailinator.com", form_seconds="1"), lead(email="jim@mailinator.com"),
                        lead(), lead(email="info@acme.com"))
    frame[RELEASED] = [True, False, True, False]
    allow = rules_with(allow={"domains": ["acme.com"]})
    verdict = judge_leads(frame, allow)
    assert verdict.reasons.tolist() == ["", "disposable_domain", "", ""]
    assert verdict.overridden.tolist() == ["disposable_domain;form_too_fast", "", "", "role_mailbox"]
    assert verdict.override.tolist() == ["released", "", "", "allow_list"]


@pytest.mark.parametrize(("first", "last", "gibberish"), [
    ("Ronald", "McDonald", False), ("DeAndre", "Jordan", False), ("Pieter", "VanDerBerg", False),
    ("LaToya", "MacArthur", False), ("kJhTrEwQ", "Garcia", True), ("Maria", "xYzWvUtS", True),
    ("Maria", "wOrDpReSs", True),
])
def test_random_case_names_are_gibberish(first, last, gibberish):
    assert reasons(lead(first_name=first, last_name=last)) == ["gibberish_name" if gibberish else ""]
    relaxed = rules_with(rules={"gibberish_name": {"max_case_switches": 5}})
    assert reasons(lead(first_name=first, last_name=last), rules=relaxed) == [""]


def test_competitor_domains_come_from_the_config():
    rules = rules_with(rules={"competitor_domain": {"domains": ["Rival.com"]}})
    assert reasons(lead(email="spy@eu.rival.com"), lead(), rules=rules) == ["competitor_domain", ""]
    assert reasons(lead(email="spy@rival.com")) == [""]


def test_block_lists_match_emails_domains_and_networks():
    rules = rules_with(rules={"blocked": {
        "emails": ["Bad.Actor@Gmail.com"], "domains": ["spam.io"], "ips": ["192.0.2.0/24"],
    }})
    assert reasons(
        lead(email="bad.actor@gmail.com"), lead(email="x@mail.spam.io"),
        lead(ip_address="192.0.2.200"), lead(ip_address="::ffff:192.0.2.1"), lead(),
        rules=rules,
    ) == ["blocked", "blocked", "blocked", "blocked", ""]


def test_allow_list_overrides_every_rule():
    junk = dict(first_name="Test", last_name="Test", honeypot="1", form_seconds="0",
                user_agent="curl/8.0")
    rules = rules_with(allow={"emails": ["info@acme.com"], "domains": ["partner.org"],
                              "ips": ["10.0.0.0/8"]},
                       rules={"blocked": {"domains": ["acme.com", "partner.org"]}})
    assert reasons(
        lead(email="INFO@acme.com", **junk),
        lead(email="test@qa.partner.org", **junk),
        lead(email="ops@acme.com", ip_address="10.1.2.3", **junk),
        lead(email="ops@acme.com", ip_address="11.1.2.3"),
        rules=rules,
    ) == ["", "", "", "blocked"]


def test_role_mailbox_policy_switch():
    allow = rules_with(rules={"role_mailbox": {"policy": "allow"}})
    assert reasons(lead(email="sales@acme.com"), rules=allow) == [""]
    custom = rules_with(rules={"role_mailbox": {"local_parts": ["orders"]}})
    assert reasons(lead(email="orders@acme.com"), lead(email="info@acme.com"), rules=custom) == [
        "role_mailbox", ""]


def test_student_domain_policy_switch():
    allow = rules_with(rules={"student_domain": {"policy": "allow"}})
    assert reasons(lead(email="prof@stanford.edu"), rules=allow) == [""]


def test_disposable_allow_domains():
    rules = rules_with(rules={"disposable_domain": {"allow_domains": ["mailinator.com"]}})
    assert reasons(lead(email="qa@mailinator.com"), rules=rules) == [""]


def test_switches_and_thresholds():
    off = rules_with(rules={"honeypot": {"enabled": False}, "form_too_fast": {"min_seconds": 5}})
    assert reasons(lead(honeypot="x", form_seconds="4"), rules=off) == ["form_too_fast"]
    strict_ua = rules_with(rules={"bot_user_agent": {"empty_user_agent": "reject"}})
    assert reasons(lead(user_agent=""), lead(), rules=strict_ua) == ["bot_user_agent", ""]


def test_missing_normalisation_columns_are_derived():
    frame = leads_frame(lead(email="info@mailinator.com")).drop(columns=["email_key",
                                                                        "email_domain"])
    assert detect_junk_leads(frame, DEFAULTS).tolist() == ["disposable_domain;role_mailbox"]


def test_result_keeps_the_input_index_even_with_repeated_labels():
    frame = leads_frame(lead(), lead(honeypot="x"), lead(form_seconds="1"))
    frame.index = [7, 7, 3]
    result = detect_junk_leads(frame, DEFAULTS)
    assert result.index.tolist() == [7, 7, 3]
    assert result.tolist() == ["", "honeypot", "form_too_fast"]


def test_empty_frame():
    assert detect_junk_leads(leads_frame(), DEFAULTS).tolist() == []


def test_pandas_string_dtype_and_nan_missing_values():
    frame = leads_frame(lead(), lead(email="info@acme.com", first_name=None)).astype("string")
    frame.loc[0, "last_name"] = np.nan
    assert detect_junk_leads(frame, DEFAULTS).tolist() == ["", "role_mailbox"]


HOSTILE = [
    "Robert'); DROP TABLE leads;--",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+cmd|' /C calc'!A0",
    "😀🔥💯",
    "\u202eevil\u202c",                    # right-to-left override
    "מרים כהן",                            # right-to-left text
    "nul\x00byte",
    "x" * 10_000,
    "a@" * 5_000,
    "",
    None,
    "\n\t\r",
]


def test_hostile_strings_never_crash_a_rule():
    rows = [lead(**dict.fromkeys(LEAD_COLUMNS, value)) for value in HOSTILE]
    rows += [lead(email=value, first_name=value, last_name=value, ip_address=value,
                  user_agent=value, form_seconds=value, honeypot=value) for value in HOSTILE]
    result = detect_junk_leads(leads_frame(*rows), DEFAULTS)
    assert len(result) == len(rows)
    assert all(isinstance(value, str) for value in result)
    assert all(code in LEAD_REASON_CODES for value in result if value for code in value.split(";"))
    by_value = dict(zip(HOSTILE, result.tolist()[len(HOSTILE):]))
    assert by_value["x" * 10_000] == "honeypot;invalid_email;gibberish_name"
    assert "gibberish_name" in by_value["=HYPERLINK(\"http://evil.example\",\"click\")"]
    assert "gibberish_name" in by_value["nul\x00byte"]
    assert "gibberish_name" not in by_value["מרים כהן"]
    assert by_value[None] == ""


# --- email validation fast path ------------------------------------------------------------

@pytest.mark.parametrize("email", [
    "maria.garcia@gmail.com", "a+b_c-d@sub.example-corp.co.uk", "x@a.io", "-x@y.com",
    "a--b@c.com", "a@b--c.com", "a@xn--bcher-kva.de", "a@ab--cd.com", "a@x.test", "a@x.local",
    "a@x.onion", "a@x.invalid", "a@1.2.3.4", "a@b.c", "a@b.123", ".a@b.com", "a.@b.com",
    "a..b@c.com", "a@-b.com", "a@b-.com", "a@b..com", "a" * 64 + "@b.com", "a" * 65 + "@b.com",
    "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com", "a@" + ("b" * 60 + ".") * 4 + "com",
    "a@b.com.", "a@B.COM", "user@bücher.de",
])
def test_fast_path_never_accepts_what_email_validator_rejects(email):
    try:
        validate_email(email, check_deliverability=False, test_environment=True)
        library_valid = True
    except EmailNotValidError:
        library_valid = False
    assert not (_plainly_valid(email) and not library_valid)


# --- configuration -------------------------------------------------------------------------

def test_shipped_config_loads():
    rules = load_fraud_rules(CONFIG)
    assert rules.rules.role_mailbox.policy in ("reject", "allow")
    assert "info" in rules.rules.role_mailbox.local_parts


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fraud.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_partial_config_takes_defaults(tmp_path):
    rules = load_fraud_rules(write(tmp_path, "rules:\n  ip_burst:\n    max_leads_per_ip: 3\n"))
    assert rules.rules.ip_burst.max_leads_per_ip == 3
    assert rules.rules.form_too_fast.min_seconds == DEFAULTS.rules.form_too_fast.min_seconds


@pytest.mark.parametrize(("text", "message"), [
    ("rules:\n  honeypot:\n    enabeld: false\n", "rules.honeypot.enabeld: unknown key"),
    ("rulez: {}\n", "rulez: unknown key"),
    ("rules:\n  form_too_fast:\n    min_seconds: fast\n",
     "rules.form_too_fast.min_seconds: Input should be a valid number"),
    ("rules:\n  ip_burst:\n    max_leads_per_ip: -1\n",
     "rules.ip_burst.max_leads_per_ip: Input should be greater than 0"),
    ("rules:\n  role_mailbox:\n    policy: maybe\n",
     "rules.role_mailbox.policy: Input should be 'reject' or 'allow'"),
    ("rules:\n  role_mailbox:\n    local_parts: info\n",
     "rules.role_mailbox.local_parts: should be a list"),
    ("rules:\n  honeypot: true\n", "rules.honeypot: should be a mapping"),
    ("allow:\n  ips: [10.0.0.1/8]\n", "allow.ips[0]: value is not a valid IPv4 or IPv6 network"),
    ("allow:\n  emails: [nobody]\n", "allow.emails: 'nobody' is not an email address"),
    ("bot_activity:\n  click_types: [email_clik]\n",
     "bot_activity.click_types: unknown activity type 'email_clik'"),
    ("rules:\n  bot_user_agent:\n    patterns: ['(unclosed']\n",
     "rules.bot_user_agent.patterns: '(unclosed' is not a valid regular expression"),
    ("rules:\n  honeypot: {enabled: true}\n  honeypot: {enabled: false}\n",
     "line 3: YAML error: duplicate key 'honeypot'"),
    ("rules: [unclosed\n", "YAML error"),
    ("", "expected a mapping of fraud rule sections, found an empty file"),
    ("- a\n- b\n", "expected a mapping of fraud rule sections, found a list"),
])
def test_config_errors_name_the_file_and_the_field(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_fraud_rules(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read fraud rules"):
        load_fraud_rules(tmp_path / "nope.yaml")


# --- activities ----------------------------------------------------------------------------

T0 = pd.Timestamp("2024-05-01 09:00:00", tz="UTC")


def activity(lead_id: str = "1", seconds: float = 0, asset: str | None = "a1",
             activity_type: str = "email_click", **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(ACTIVITY_COLUMNS)
    row.update(source_system="hubspot", activity_id=f"{lead_id}-{seconds}-{asset}",
               source_lead_id=lead_id, occurred_at=T0 + pd.Timedelta(seconds=seconds),
               activity_type=activity_type, asset=asset, user_agent=CHROME,
               ip_address="203.0.113.7")
    row.update(values)
    return row


def bot_flags(*rows: dict[str, object], rules: FraudRules = DEFAULTS) -> list[str]:
    frame = pd.DataFrame(list(rows), columns=ACTIVITY_COLUMNS)
    return flag_bot_activities(frame, rules).tolist()


def test_scanner_click_burst_flags_every_click_in_it():
    burst = [activity(seconds=0.0, asset="a1"), activity(seconds=0.2, asset="a2"),
             activity(seconds=0.3, asset="a1"), activity(seconds=0.9, asset="a3")]
    other_lead = activity(lead_id="2", seconds=0.1, asset="a4")
    later = activity(seconds=60, asset="a1")
    assert bot_flags(*burst, other_lead, later) == [BOT_ACTIVITY] * 4 + ["", ""]


def test_human_clicks_are_not_a_burst():
    two_assets = [activity(seconds=0, asset="a1"), activity(seconds=0.5, asset="a2"),
                  activity(seconds=0.6, asset="a2")]
    spread = [activity(seconds=s, asset=f"a{s}") for s in (0, 1, 2, 3)]
    page_views = [activity(seconds=0, asset=f"p{i}", activity_type="page_view") for i in range(5)]
    assert bot_flags(*two_assets) == [""] * 3
    assert bot_flags(*spread) == [""] * 4
    assert bot_flags(*page_views) == [""] * 5


def test_burst_across_a_second_boundary_and_in_any_row_order():
    rows = [activity(seconds=1.1, asset="a3"), activity(seconds=0.8, asset="a1"),
            activity(seconds=0.95, asset="a2"), activity(seconds=30, asset="a9")]
    assert bot_flags(*rows) == [BOT_ACTIVITY] * 3 + [""]


def test_bot_user_agent_activities_and_allowed_ips():
    rows = [activity(user_agent="python-requests/2.31", activity_type="page_view"),
            activity(user_agent=None, activity_type="email_open"),
            activity(user_agent="curl/8.0", ip_address="10.9.9.9")]
    assert bot_flags(*rows) == [BOT_ACTIVITY, "", BOT_ACTIVITY]
    allow = rules_with(allow={"ips": ["10.0.0.0/8"]})
    assert bot_flags(*rows, rules=allow) == [BOT_ACTIVITY, "", ""]
    off = rules_with(bot_activity={"enabled": False})
    assert bot_flags(*rows, rules=off) == ["", "", ""]


def test_activity_thresholds_come_from_the_config():
    rules = rules_with(bot_activity={"min_distinct_assets": 2, "window_seconds": 5})
    rows = [activity(seconds=0, asset="a1"), activity(seconds=4, asset="a2")]
    assert bot_flags(*rows) == ["", ""]
    assert bot_flags(*rows, rules=rules) == [BOT_ACTIVITY] * 2


def test_activities_keep_their_index_and_survive_hostile_values():
    rows = [activity(seconds=i / 10, asset=f"a{i}") for i in range(3)]
    rows += [activity(**dict.fromkeys(["source_lead_id", "asset", "user_agent", "ip_address",
                                       "activity_type"], value)) for value in HOSTILE]
    rows.append(activity(occurred_at=None))
    frame = pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
    frame.index = [5] * len(frame)
    result = flag_bot_activities(frame, DEFAULTS)
    assert result.index.tolist() == [5] * len(frame)
    assert result.tolist()[:3] == [BOT_ACTIVITY] * 3
    assert set(result.tolist()[3:]) <= {"", BOT_ACTIVITY}
    assert flag_bot_activities(pd.DataFrame(columns=ACTIVITY_COLUMNS), DEFAULTS).tolist() == []


def test_text_columns_are_trimmed_strings_with_missing_values_and_columns_empty():
    from tasks.screening.fraud import _text

    frame = pd.DataFrame({
        "arrow": pd.Series([" a ", None, "b", " a ", ""], dtype="str"),
        "mixed": pd.Series([" x", np.nan, 3, 2.5, pd.NA], dtype=object),
        "numbers": pd.Series([1.0, np.nan, -0.0, 1.0, 7.25]),
    }).set_axis([10, 10, 11, 12, 13])  # labels may repeat
    assert _text(frame, "arrow").tolist() == ["a", "", "b", "a", ""]
    assert _text(frame, "mixed").tolist() == ["x", "", "3", "2.5", ""]
    assert _text(frame, "numbers").tolist() == ["1.0", "", "-0.0", "1.0", "7.25"]
    assert _text(frame, "absent").tolist() == [""] * 5
    for column in ("arrow", "mixed", "numbers", "absent"):
        text = _text(frame, column)
        assert text.dtype == object and text.index.tolist() == [10, 10, 11, 12, 13]
        assert all(type(value) is str for value in text)
