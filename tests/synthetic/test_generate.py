"""The synthetic extract generator: layout, determinism, and that what it plants is what the
ground truth says."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from disposable_email_domains import blocklist as DISPOSABLE

from tasks.intake.contract import (
    ACTIVITY_COLUMNS, ACTIVITY_TYPES, LEAD_COLUMNS, OUTCOME_COLUMNS, OUTCOME_STATUSES,
)
from tasks.screening.fraud import judge_leads, load_fraud_rules
from synthetic.generate import (
    BOT_USER_AGENTS, CUSTOM_LEAD_COLUMNS, DUP_KINDS, FREE_MAIL_DOMAINS,
    GROUND_TRUTH_ACTIVITY_COLUMNS, GROUND_TRUTH_COLUMNS, HARD_DUP_KINDS, HARD_NEGATIVE_KINDS,
    HIGH_INTENT_TYPES, JUNK_KINDS, MALFORMED_KINDS, NICKNAMES, generate_extracts,
)

START = date(2026, 3, 2)
DAYS = 3
LEADS_PER_DAY = 2_000
BOT_PATTERN = re.compile(r"curl/|wget|python-|go-http|headlesschrome|scrapy|bot\b|bot/",
                         re.IGNORECASE)


def read_strings(path: Path) -> pd.DataFrame:
    """A CSV file as the pipeline reads it: every value a string, "" when empty."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])


def read_days(out: Path, stem: str, days: int = DAYS) -> pd.DataFrame:
    """One extract file of every day, in file order, with the day's date as run_date."""
    frames = []
    for offset in range(days):
        run_date = (START + timedelta(days=offset)).isoformat()
        frames.append(read_strings(out / run_date / f"{stem}.csv").assign(run_date=run_date))
    return pd.concat(frames, ignore_index=True)


def file_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three days of 2 000 leads, read back with their ground truth."""
    out = tmp_path_factory.mktemp("extracts")
    summary = generate_extracts(out, START, DAYS, LEADS_PER_DAY, seed=11)
    leads = read_days(out, "leads")
    truth = read_strings(out / "ground_truth.csv")
    return {
        "out": out,
        "summary": summary,
        "leads": leads,
        "truth": truth,
        # Lead rows beside their truth: the truth is in file order, one row per lead row.
        "rows": pd.concat([leads, truth.drop(columns=["run_date", "source_system",
                                                      "source_lead_id"])], axis=1),
        "activities": read_days(out, "activities"),
        "activity_truth": read_strings(out / "ground_truth_activities.csv"),
        "outcomes": read_days(out, "outcomes"),
    }


def first_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Each duplicate row beside its person's first row (columns of the first end in _first)."""
    firsts = rows[rows["is_duplicate"] == "false"]
    dups = rows[rows["is_duplicate"] == "true"]
    return dups.merge(firsts, on="person_id", how="left", suffixes=("", "_first"),
                      validate="many_to_one")


def case_switches(name: str) -> int:
    """Lower-to-upper case switches inside a name ("McDonald" 1, "kJhTrEwQ" 4)."""
    return sum(a.islower() and b.isupper() for a, b in zip(name, name[1:]))


def one_edit_apart(a: str, b: str) -> bool:
    """True if b is a with one letter replaced, dropped, added, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(diffs) == 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def gmail_key(email: str) -> str:
    local, _, domain = email.strip().lower().partition("@")
    return local.split("+", 1)[0].replace(".", "") + "@gmail.com"


def e164(phone: str, country: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone, country),
                                      phonenumbers.PhoneNumberFormat.E164)


# --- layout and determinism ------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_other_data(tmp_path):
    generate_extracts(tmp_path / "a", START, 2, 300, seed=5)
    generate_extracts(tmp_path / "b", START, 2, 300, seed=5)
    generate_extracts(tmp_path / "c", START, 2, 300, seed=6)
    a, b, c = (file_bytes(tmp_path / name) for name in "abc")
    assert len(a) == 2 * 3 + 2
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[name] != c[name] for name in a if name.endswith("leads.csv"))


def test_writes_one_folder_per_day_with_exactly_the_contract_columns(generated):
    out = generated["out"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        "2026-03-02", "2026-03-03", "2026-03-04"]
    for folder in (p for p in out.iterdir() if p.is_dir()):
        assert sorted(p.name for p in folder.iterdir()) == [
            "activities.csv", "leads.csv", "outcomes.csv"]
        assert list(read_strings(folder / "leads.csv").columns) == list(
            LEAD_COLUMNS + CUSTOM_LEAD_COLUMNS)
        # Every contract column but the optional `value` measure, which the generator leaves out.
        assert list(read_strings(folder / "activities.csv").columns) == [c for c in ACTIVITY_COLUMNS if c != "value"]
        assert list(read_strings(folder / "outcomes.csv").columns) == list(OUTCOME_COLUMNS)
        assert len(read_strings(folder / "leads.csv")) == LEADS_PER_DAY
    assert list(generated["truth"].columns) == list(GROUND_TRUTH_COLUMNS)
    assert list(generated["activity_truth"].columns) == list(GROUND_TRUTH_ACTIVITY_COLUMNS)


def test_summary_counts_match_the_files(generated):
    truth, summary = generated["truth"], generated["summary"]
    assert summary == {
        "leads": DAYS * LEADS_PER_DAY,
        "duplicates": int((truth["is_duplicate"] == "true").sum()),
        "junk": int((truth["is_junk"] == "true").sum()),
        "malformed": int((truth["is_malformed"] == "true").sum()),
        "activities": len(generated["activities"]),
        "malformed_activities": len(generated["activity_truth"]),
        "outcomes": len(generated["outcomes"]),
    }


def test_ground_truth_lines_up_with_the_lead_files(generated):
    leads, truth = generated["leads"], generated["truth"]
    assert len(truth) == len(leads)
    assert (truth["run_date"] == leads["run_date"]).all()
    assert (truth["source_system"] == leads["source_system"]).all()
    assert (truth["source_lead_id"] == leads["source_lead_id"]).all()
    assert truth.groupby("run_date")["row_number"].apply(
        lambda r: r.astype(int).tolist() == list(range(LEADS_PER_DAY))).all()


def test_parquet_output_holds_the_same_strings_as_csv(tmp_path):
    generate_extracts(tmp_path / "csv", START, 2, 300, seed=3)
    generate_extracts(tmp_path / "parquet", START, 2, 300, seed=3, fmt="parquet")
    for stem in ("leads", "activities", "outcomes"):
        for day in ("2026-03-02", "2026-03-03"):
            from_parquet = pd.read_parquet(tmp_path / "parquet" / day / f"{stem}.parquet")
            assert all(str(t) in ("str", "string", "object") for t in from_parquet.dtypes)
            from_csv = read_strings(tmp_path / "csv" / day / f"{stem}.csv")
            pd.testing.assert_frame_equal(from_parquet.astype(object), from_csv.astype(object))
    assert not list((tmp_path / "parquet").glob("*/*.csv"))


def test_rewriting_in_another_format_leaves_one_file_per_stem(tmp_path):
    generate_extracts(tmp_path, START, 1, 100, seed=3)
    generate_extracts(tmp_path, START, 1, 100, seed=3, fmt="parquet")
    assert sorted(p.name for p in (tmp_path / "2026-03-02").iterdir()) == [
        "activities.parquet", "leads.parquet", "outcomes.parquet"]


def test_rejects_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="fmt"):
        generate_extracts(tmp_path, START, 1, 10, seed=1, fmt="xlsx")


def test_a_week_of_a_thousand_leads_a_day(tmp_path):
    # Its speed is a benchmark's figure (`mql bench night` reports generate_seconds), not a test's.
    summary = generate_extracts(tmp_path, START, 7, 1_000, seed=2)
    assert summary["leads"] == 7_000
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir())[0] == str(START)


# --- lead content ----------------------------------------------------------------------------


def test_planted_shares_are_within_their_bounds(generated):
    truth = generated["truth"]
    share = {flag: (truth[flag] == "true").mean()
             for flag in ("is_duplicate", "is_junk", "is_malformed")}
    assert 0.10 <= share["is_duplicate"] <= 0.15
    assert 0.05 <= share["is_junk"] <= 0.08
    assert 0.01 <= share["is_malformed"] <= 0.02
    assert set(truth.loc[truth["is_duplicate"] == "true", "dup_kind"]) == set(DUP_KINDS)
    assert set(truth.loc[truth["is_junk"] == "true", "junk_kind"]) == set(JUNK_KINDS) | {
        "ip_burst"}
    assert set(truth.loc[truth["is_malformed"] == "true", "malformed_kind"]) == set(
        MALFORMED_KINDS)
    assert set(truth["hard_case"]) == {"", "short_name", "gmail", "fast_autofill_returning",
                                       "honeypot_autofill"}
    # Kinds are set exactly where their flag is; a row is at most one of the three.
    for flag, kind in (("is_duplicate", "dup_kind"), ("is_malformed", "malformed_kind")):
        assert ((truth[flag] == "true") == (truth[kind] != "")).all()
    assert ((truth["is_junk"] == "true") == ~truth["junk_kind"].isin(["", "clean"])).all()
    assert ((truth["hard_case"] != "") == (truth["junk_kind"] == "clean")).all()
    assert (((truth[["is_duplicate", "is_junk", "is_malformed"]] == "true").sum(axis=1)) <= 1).all()


def test_only_rows_after_a_persons_first_are_duplicates(generated):
    truth = generated["truth"]
    first = ~truth["person_id"].duplicated()
    assert ((truth["is_duplicate"] == "false") == first).all()
    dups = first_rows(generated["rows"])
    assert (dups["run_date"] == dups["run_date_first"]).any()  # same-day duplicates
    assert (dups["run_date"] > dups["run_date_first"]).any()
    assert (dups["source_system"] != dups["source_system_first"]).mean() > 0.3


def test_each_duplicate_differs_from_its_first_row_as_its_kind_says(generated):
    dups = first_rows(generated["rows"])
    by_kind = {kind: rows for kind, rows in dups.groupby("dup_kind")}

    exact = by_kind["exact_email"]
    assert (exact["email"] == exact["email_first"]).all()

    cased = by_kind["email_case_whitespace"]
    assert (cased["email"] != cased["email_first"]).all()
    assert (cased["email"].str.strip().str.lower() == cased["email_first"]).all()

    for kind in ("gmail_dots_plus", "googlemail"):
        rows = by_kind[kind]
        assert rows["email_first"].str.endswith("@gmail.com").all()
        assert (rows["email"] != rows["email_first"]).all()
        assert (rows["email"].map(gmail_key) == rows["email_first"].map(gmail_key)).all()
    assert by_kind["googlemail"]["email"].str.endswith("@googlemail.com").all()
    assert by_kind["gmail_dots_plus"]["email"].str.endswith("@gmail.com").all()

    phone = by_kind["phone_format"]
    assert (phone["phone"] != phone["phone_first"]).all()
    assert [e164(p, c) for p, c in zip(phone["phone"], phone["country"])] == [
        e164(p, c) for p, c in zip(phone["phone_first"], phone["country_first"])]
    assert (phone["email"] != phone["email_first"]).all()
    assert (phone["email"] == "").any() and (phone["email"] != "").any()

    typo = by_kind["name_typo"]
    assert (typo["email"] == typo["email_first"]).all()
    assert all(one_edit_apart(f"{a} {b}", f"{c} {d}") for a, b, c, d in zip(
        typo["first_name_first"], typo["last_name_first"], typo["first_name"], typo["last_name"]))

    nick = by_kind["nickname"]
    assert (nick["email"] == nick["email_first"]).all()
    assert (nick["last_name"] == nick["last_name_first"]).all()
    assert all(n in NICKNAMES[f] for n, f in zip(nick["first_name"], nick["first_name_first"]))


def test_gmail_variants_appear_only_on_gmail(generated):
    rows = generated["rows"]
    googlemail = rows["email"].str.contains("@googlemail.com", regex=False)
    assert (rows.loc[googlemail, "dup_kind"] == "googlemail").all()
    plus_tag = rows["email"].str.contains("+", regex=False)
    assert rows.loc[plus_tag, "email"].str.endswith("@gmail.com").all()
    assert (rows.loc[plus_tag, "dup_kind"] == "gmail_dots_plus").all()


def test_junk_rows_show_their_kind_and_legitimate_rows_do_not(generated):
    rows = generated["rows"]
    junk_kind = rows["junk_kind"]
    legit = rows["is_junk"] == "false"
    domain = rows["email"].str.strip().str.lower().str.rpartition("@")[2]

    assert domain[junk_kind == "disposable_domain"].isin(DISPOSABLE).all()
    assert not domain[legit].isin(DISPOSABLE).any()

    bot = rows["user_agent"].str.contains(BOT_PATTERN)
    assert bot[junk_kind == "bot_user_agent"].all()
    assert set(rows.loc[bot, "junk_kind"]) == {"bot_user_agent"}
    assert rows.loc[junk_kind == "bot_user_agent", "user_agent"].isin(BOT_USER_AGENTS).all()

    names = rows.loc[junk_kind == "gibberish_name", ["first_name", "last_name"]]
    gibberish = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}|(.)\1\1|asdf|qwer|sdfsdf|zxcv|hjkl|lkjh",
                           re.IGNORECASE)
    assert names.map(lambda n: bool(gibberish.search(n)) or case_switches(n) > 2).all(axis=None)
    assert (names.map(case_switches) > 2).any(axis=None)  # bot-typed "kJhTrEwQ"
    legit_names = rows.loc[legit, ["first_name", "last_name"]]
    assert not legit_names.map(lambda n: bool(gibberish.search(n))).any(axis=None)
    assert (legit_names.map(case_switches) <= 2).all(axis=None)

    tests = rows[junk_kind == "test_entry"]
    assert ((tests["first_name"] + " " + tests["last_name"]).isin(
        ["Test Test", "John Doe", "Jane Doe", "Test User", "Test Lead", "Foo Bar", "Mickey Mouse"])
        | tests["email"].str.startswith("test")).all()
    legit_full_names = rows.loc[legit, "first_name"] + " " + rows.loc[legit, "last_name"]
    assert not legit_full_names.str.contains(r"\b(?:Test|Doe|Foo|Mouse)\b").any()

    autofill = rows["hard_case"] == "honeypot_autofill"
    assert ((rows["honeypot"] != "") == ((junk_kind == "honeypot_filled") | autofill)).all()
    own = rows.loc[autofill]
    assert len(own) > 0 and ((own["honeypot"] == own["email"]) | (own["honeypot"] == own["company"])).all()

    seconds = pd.to_numeric(rows["form_seconds"], errors="coerce")
    assert seconds[junk_kind == "fast_form"].between(1, 2).all()
    fast_legit = rows["hard_case"] == "fast_autofill_returning"
    assert seconds[fast_legit].between(1, 5).all()
    assert (rows.loc[fast_legit, "is_duplicate"] == "true").all()
    # Under 3 s: fast_form junk, or a returning visitor whose person came on an earlier day.
    instant = first_rows(rows[rows["is_junk"] == "false"])
    instant = instant[pd.to_numeric(instant["form_seconds"], errors="coerce") < 3]
    assert len(instant) > 0 and (instant["hard_case"] == "fast_autofill_returning").all()
    assert (instant["run_date_first"] < instant["run_date"]).all()
    assert ((seconds < 3) == ((junk_kind == "fast_form") | (fast_legit & (seconds < 3)))).all()
    assert (seconds[legit & ~fast_legit].dropna() >= 8).all()


def test_ip_bursts_are_exactly_the_addresses_with_more_than_ten_leads_a_day(generated):
    rows = generated["rows"][generated["rows"]["ip_address"] != ""]
    per_day_ip = rows.groupby(["run_date", "ip_address"])["ip_address"].transform("size")
    assert ((per_day_ip > 10) == (rows["junk_kind"] == "ip_burst")).all()
    assert per_day_ip[rows["junk_kind"] == "ip_burst"].min() >= 12


def test_hard_cases_are_legitimate_first_rows_that_look_suspicious(generated):
    rows = generated["rows"]
    hard = rows[rows["hard_case"] != ""]
    assert (hard["is_junk"] == "false").all() and (hard["is_malformed"] == "false").all()
    short = hard[hard["hard_case"] == "short_name"]
    assert len(short) > 0
    assert (short["first_name"].str.len() <= 2).all() and (short["last_name"].str.len() <= 2).all()
    assert (short["is_duplicate"] == "false").all()
    gmail = hard[hard["hard_case"] == "gmail"]
    assert gmail["email"].str.endswith("@gmail.com").all()
    assert (gmail["is_duplicate"] == "false").all()


def test_malformed_rows_break_only_in_their_own_way(generated):
    rows = generated["rows"]
    kind = rows["malformed_kind"]
    created = pd.to_datetime(rows["created_at"], format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
    assert created[kind == "bad_created_at"].isna().all()
    ok = created[kind != "bad_created_at"]
    assert ok.notna().all()
    assert (ok.dt.strftime("%Y-%m-%d") == rows.loc[ok.index, "run_date"]).all()
    updated = pd.to_datetime(rows.loc[ok.index, "updated_at"], format="%Y-%m-%dT%H:%M:%SZ")
    assert (updated >= ok).all()

    no_contact = (rows["email"] == "") & (rows["phone"] == "")
    assert (no_contact == (kind == "no_contact")).all()
    assert (rows.loc[no_contact, ["company", "city"]] == "").all().all()  # no identity: validation quarantines them

    counts = rows["employee_count"]
    well_formed = counts.str.fullmatch(r"\d+")
    assert not well_formed[kind == "bad_employee_count"].any()
    assert (well_formed | (counts == ""))[kind != "bad_employee_count"].all()

    assert ((rows["source_lead_id"] == "") == (kind == "missing_source_lead_id")).all()
    ids = rows.loc[rows["source_lead_id"] != "", ["source_system", "source_lead_id"]]
    assert not ids.duplicated().any()


def test_fields_are_realistic_and_phones_valid_for_their_country(generated):
    rows = generated["rows"]
    legit = rows[(rows["is_junk"] == "false") & (rows["is_malformed"] == "false")]
    assert set(rows["source_system"]) == {"hubspot", "marketo", "salesforce"}
    assert rows["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert {"US", "GB", "DE", "FR", "IN", "JP", "BR"} <= set(rows["country"])
    assert set(rows["email_consent"]) == {"true", "false"}
    assert (rows["email_consent"] == "true").mean() > 0.7
    assert (rows["do_not_contact"] == "true").mean() < 0.1
    assert rows["first_name"].str.contains(r"[^\x00-\x7f]").any()  # accented names exist
    assert rows["company"].str.contains(r" (?:Inc|GmbH|Ltd|S\.A\.)$").any()
    assert legit["email"].str.endswith("@gmail.com").mean() > 0.03
    as_typed = legit[(legit["dup_kind"] != "email_case_whitespace") & (legit["email"] != "")]
    plain_address = r"[a-z0-9._+]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}"
    assert as_typed["email"].str.fullmatch(plain_address).all()
    phones = rows[rows["phone"] != ""]
    assert len(phones) > 0.6 * len(rows)
    for phone, country in zip(phones["phone"], phones["country"]):
        number = phonenumbers.parse(phone, country)
        assert phonenumbers.is_valid_number(number), (phone, country)
        assert phonenumbers.region_code_for_number(number) == country, (phone, country)
    formats = phones["phone"].str[0].map(lambda c: "+" if c == "+" else "national")
    assert set(formats) == {"+", "national"}
    # Distinct people never share an address or a number.
    firsts = rows[(rows["is_duplicate"] == "false") & (rows["is_junk"] == "false")]
    addresses = firsts.loc[firsts["email"] != "", "email"]
    assert not addresses.duplicated().any()
    numbers = [e164(p, c) for p, c in zip(firsts["phone"], firsts["country"]) if p]
    assert len(set(numbers)) == len(numbers)
    sizes = pd.to_numeric(legit["employee_count"], errors="coerce")
    revenue = pd.to_numeric(legit["annual_revenue"], errors="coerce")
    both = sizes.notna() & revenue.notna()
    assert sizes.min() >= 1
    assert np.corrcoef(np.log(sizes[both]), np.log(revenue[both]))[0, 1] > 0.8


# --- activities and outcomes -----------------------------------------------------------------


def test_activities_reference_leads_known_by_their_day_and_happen_within_it(generated):
    rows, activities = generated["rows"], generated["activities"]
    known = rows[rows["source_lead_id"] != ""].set_index(["source_system", "source_lead_id"])
    lead = known.loc[list(zip(activities["source_system"], activities["source_lead_id"]))]
    assert len(lead) == len(activities)
    assert (lead["run_date"].to_numpy() <= activities["run_date"].to_numpy()).all()
    assert (lead["is_malformed"] == "false").all()

    broken = set(generated["activity_truth"]["activity_id"])
    readable = activities[~activities["activity_id"].isin(broken)]
    assert readable["occurred_at"].str[:10].eq(readable["run_date"]).all()
    occurred = pd.to_datetime(readable["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ")
    created = pd.to_datetime(lead.loc[~activities["activity_id"].isin(broken).to_numpy(),
                                      "created_at"].to_numpy(), format="%Y-%m-%dT%H:%M:%SZ")
    assert (occurred.to_numpy() >= created).all()
    assert readable["activity_type"].isin(ACTIVITY_TYPES).all()
    assert not activities["activity_id"].duplicated().any()
    assert activities["activity_id"].ne("").all()


def test_malformed_activities_are_exactly_those_in_their_ground_truth(generated):
    activities, truth = generated["activities"], generated["activity_truth"]
    assert len(truth) > 0
    assert set(truth["malformed_kind"]) == {"unknown_activity_type", "bad_occurred_at"}
    unknown_type = ~activities["activity_type"].isin(ACTIVITY_TYPES)
    bad_time = pd.to_datetime(activities["occurred_at"], format="%Y-%m-%dT%H:%M:%SZ",
                              errors="coerce").isna()
    by_id = truth.set_index("activity_id")["malformed_kind"]
    assert set(activities.loc[unknown_type, "activity_id"]) == set(
        by_id[by_id == "unknown_activity_type"].index)
    assert set(activities.loc[bad_time, "activity_id"]) == set(
        by_id[by_id == "bad_occurred_at"].index)
    merged = truth.merge(activities, on="activity_id", suffixes=("", "_file"))
    assert (merged["run_date"] == merged["run_date_file"]).all()
    assert (merged["source_lead_id"] == merged["source_lead_id_file"]).all()


def test_bot_leads_leave_bot_activity_and_email_events_carry_no_browser(generated):
    rows, activities = generated["rows"], generated["activities"]
    bots = rows.loc[rows["junk_kind"] == "bot_user_agent", ["source_system", "source_lead_id"]]
    from_bots = activities.merge(bots, on=["source_system", "source_lead_id"])
    assert len(from_bots) > 0
    browser = from_bots[from_bots["user_agent"] != ""]
    assert browser["user_agent"].str.contains(BOT_PATTERN).all()
    opens = activities[activities["activity_type"] == "email_open"]
    assert (opens["user_agent"] == "").all() and (opens["ip_address"] == "").all()


def test_propensity_drives_high_intent_activity(generated):
    rows, activities = generated["rows"], generated["activities"]
    people = rows[(rows["run_date"] == START.isoformat()) & (rows["is_duplicate"] == "false")
                  & (rows["is_junk"] == "false") & (rows["is_malformed"] == "false")]
    high = activities[activities["activity_type"].isin(HIGH_INTENT_TYPES)]
    per_lead = high.groupby(["source_system", "source_lead_id"]).size()
    counts = per_lead.reindex(list(zip(people["source_system"], people["source_lead_id"])),
                              fill_value=0)
    propensity = people["propensity"].astype(float).to_numpy()
    assert len(people) > 1_500
    assert pd.Series(propensity).corr(pd.Series(counts.to_numpy()), method="spearman") > 0.3
    negative = activities[activities["activity_type"].isin(["unsubscribe", "email_bounce"])]
    opted_out = rows.set_index(["source_system", "source_lead_id"]).loc[
        list(zip(negative["source_system"], negative["source_lead_id"])), "propensity"]
    assert opted_out.astype(float).mean() < rows.loc[
        rows["is_junk"] == "false", "propensity"].astype(float).mean()
    assert (rows.loc[rows["is_junk"] == "true", "propensity"].astype(float) == 0).all()


def test_outcomes_follow_the_sales_funnel_of_earlier_leads(generated):
    rows, outcomes = generated["rows"], generated["outcomes"]
    assert len(outcomes) > 0
    assert outcomes["status"].isin(OUTCOME_STATUSES).all()
    assert outcomes["occurred_at"].str[:10].eq(outcomes["run_date"]).all()
    rejected = outcomes["status"].isin(["sales_rejected", "lost"])
    assert (outcomes.loc[rejected, "reason"] != "").all()
    assert (outcomes.loc[~rejected, "reason"] == "").all()

    leads = rows.set_index(["source_system", "source_lead_id"])
    lead = leads.loc[list(zip(outcomes["source_system"], outcomes["source_lead_id"]))]
    assert (lead["run_date"].to_numpy() < outcomes["run_date"].to_numpy()).all()
    assert (lead["is_duplicate"] == "false").all() and (lead["is_junk"] == "false").all()

    stage = outcomes["status"].map({"sales_accepted": 0, "sales_rejected": 0, "opportunity": 1,
                                    "won": 2, "lost": 2})
    for _, steps in outcomes.assign(stage=stage).groupby(["source_system", "source_lead_id"]):
        assert steps["stage"].tolist() == list(range(len(steps)))
        assert steps["run_date"].is_monotonic_increasing
        if len(steps) > 1:
            assert steps["status"].iloc[0] == "sales_accepted"


def test_converted_people_reached_won_and_are_likelier_buyers(tmp_path):
    days = 14  # long enough for deals to close
    generate_extracts(tmp_path, START, days, 500, seed=4)
    truth = read_strings(tmp_path / "ground_truth.csv")
    outcomes = read_days(tmp_path, "outcomes", days)
    won = outcomes.loc[outcomes["status"] == "won", ["source_system", "source_lead_id"]]
    won_people = set(truth.merge(won, on=["source_system", "source_lead_id"])["person_id"])
    assert len(won_people) > 0
    assert set(truth.loc[truth["converted"] == "true", "person_id"]) == won_people
    propensity = truth["propensity"].astype(float)
    converted = truth["converted"] == "true"
    assert propensity[converted].mean() > propensity[~converted & (propensity > 0)].mean() + 0.1


# --- hard mode: duplicates without a shared key, look-alike distinct people ------------------

HARD_DAYS = 3
HARD_LEADS_PER_DAY = 400
FRAUD_RULES = Path(__file__).resolve().parents[2] / "config" / "fraud.yaml"


def match_key(email: str) -> str:
    """An address as exact matching compares it (trimmed, lower case, Gmail folded)."""
    email = email.strip().lower()
    return gmail_key(email) if email.endswith(("@gmail.com", "@googlemail.com")) else email


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def company_letters(company: pd.Series) -> pd.Series:
    """The first letters of a company name, whatever its case, spacing and legal suffix."""
    return company.str.upper().str.replace(r"[^A-Z]", "", regex=True).str[:6]


@pytest.fixture(scope="module")
def hard_rows(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Three days of 400 leads with hard=True: lead rows beside their ground truth."""
    out = tmp_path_factory.mktemp("hard")
    generate_extracts(out, START, HARD_DAYS, HARD_LEADS_PER_DAY, seed=7, hard=True)
    leads = read_days(out, "leads", HARD_DAYS)
    truth = read_strings(out / "ground_truth.csv")
    return pd.concat([leads, truth.drop(columns=["run_date", "source_system", "source_lead_id"])],
                     axis=1)


def test_hard_false_is_the_default_and_plants_nothing_hard(tmp_path):
    generate_extracts(tmp_path / "default", START, 2, 300, seed=5)
    generate_extracts(tmp_path / "explicit", START, 2, 300, seed=5, hard=False)
    generate_extracts(tmp_path / "hard", START, 2, 300, seed=5, hard=True)
    generate_extracts(tmp_path / "hard_again", START, 2, 300, seed=5, hard=True)
    default, explicit, hard, hard_again = (
        file_bytes(tmp_path / name) for name in ("default", "explicit", "hard", "hard_again"))
    assert default == explicit
    assert hard == hard_again
    assert default.keys() == hard.keys() and default != hard
    truth = read_strings(tmp_path / "default" / "ground_truth.csv")
    assert not truth["dup_kind"].str.startswith("hard_").any()
    assert not truth["hard_case"].isin(list(HARD_NEGATIVE_KINDS)).any()


def test_hard_duplicates_are_a_quarter_of_rows_and_of_every_hard_kind(hard_rows):
    dups = hard_rows[hard_rows["is_duplicate"] == "true"]
    assert 0.22 <= len(dups) / len(hard_rows) <= 0.27
    assert set(dups["dup_kind"]) == set(HARD_DUP_KINDS)
    assert not hard_rows["dup_kind"].isin(list(DUP_KINDS)).any()
    assert (dups["junk_kind"].isin(["", "clean"])).all() and (dups["malformed_kind"] == "").all()


def test_hard_duplicates_share_no_address_or_phone_with_their_persons_earlier_rows(hard_rows):
    seen: dict[str, tuple[set[str], set[str]]] = {}
    checked = 0
    for row in hard_rows.itertuples():
        keys, phones = seen.setdefault(row.person_id, (set(), set()))
        key = match_key(row.email) if row.email else ""
        phone = {digits(row.phone), e164(row.phone, row.country)} if row.phone else set()
        if row.is_duplicate == "true":
            assert not key or key not in keys, (row.dup_kind, row.email)
            if row.dup_kind != "hard_company_variant":
                assert not phone & phones, (row.dup_kind, row.phone)
            checked += 1
        keys.update({key} - {""})
        phones.update(phone)
    assert checked > 200


def test_each_hard_duplicate_differs_from_its_first_row_as_its_kind_says(hard_rows):
    dups = first_rows(hard_rows)
    assert (dups["city"] == dups["city_first"]).all()
    assert (dups["country"] == dups["country_first"]).all()
    by_kind = {kind: rows for kind, rows in dups.groupby("dup_kind")}
    personal = dups[dups["dup_kind"].isin(["hard_name_typo", "hard_nickname", "hard_transposed",
                                           "hard_company_variant"]) & (dups["email"] != "")]
    assert len(personal) > 0
    assert personal["email"].str.rpartition("@")[2].isin(list(FREE_MAIL_DOMAINS)).all()
    assert (dups.loc[dups["dup_kind"] != "hard_company_variant", "phone"] == "").all()

    typo = by_kind["hard_name_typo"]
    assert all(one_edit_apart(f"{a} {b}", f"{c} {d}") for a, b, c, d in zip(
        typo["first_name_first"], typo["last_name_first"], typo["first_name"], typo["last_name"]))

    nick = by_kind["hard_nickname"]
    assert (nick["last_name"] == nick["last_name_first"]).all()
    assert all(n in NICKNAMES[f] for n, f in zip(nick["first_name"], nick["first_name_first"]))

    swapped = by_kind["hard_transposed"]
    assert (swapped["first_name"] == swapped["last_name_first"]).all()
    assert (swapped["last_name"] == swapped["first_name_first"]).all()

    missing = by_kind["hard_missing_fields"]
    assert (missing["email"] == "").all() and (missing["phone"] == "").all()
    assert (missing[["first_name", "last_name", "company", "city"]] != "").all(axis=None)

    slip = by_kind["hard_email_typo"]
    assert (slip[["first_name", "last_name"]].to_numpy()
            == slip[["first_name_first", "last_name_first"]].to_numpy()).all()
    local, _, domain = (slip["email"].str.partition("@")[i] for i in (0, 1, 2))
    first_local, first_domain = slip["email_first"].str.partition("@")[0], slip[
        "email_first"].str.partition("@")[2]
    assert (domain == first_domain).all()
    assert not domain.isin(list(FREE_MAIL_DOMAINS)).any()
    assert all(one_edit_apart(a, b) for a, b in zip(first_local, local))

    variant = by_kind["hard_company_variant"]
    assert (variant["company"] != variant["company_first"]).all()
    assert (variant[["first_name", "last_name"]].to_numpy()
            == variant[["first_name_first", "last_name_first"]].to_numpy()).all()
    kept = variant[variant["phone"] != ""]
    assert len(kept) > 0 and (kept["phone"] != kept["phone_first"]).all()
    assert [e164(p, c) for p, c in zip(kept["phone"], kept["country"])] == [
        e164(p, c) for p, c in zip(kept["phone_first"], kept["country_first"])]
    assert (company_letters(dups["company"]) == company_letters(dups["company_first"])).all()
    others = dups[dups["dup_kind"] != "hard_company_variant"]
    assert 0.2 < (others["company"] != others["company_first"]).mean() < 0.4


def test_hard_lookalikes_are_groups_of_distinct_people(hard_rows):
    planted = hard_rows[hard_rows["hard_case"].isin(list(HARD_NEGATIVE_KINDS))]
    assert set(planted["hard_case"]) == set(HARD_NEGATIVE_KINDS)
    assert 0.035 <= len(planted) / len(hard_rows) <= 0.065
    assert (planted["is_duplicate"] == "false").all() and (planted["is_junk"] == "false").all()
    assert (planted["junk_kind"] == "clean").all()
    assert not planted["person_id"].duplicated().any()
    kind = planted["hard_case"]

    board = planted[kind == "shared_switchboard"]
    assert (board["phone"] != "").all()
    for _, group in board.groupby([e164(p, c) for p, c in zip(board["phone"], board["country"])]):
        assert 2 <= group["person_id"].nunique() <= 4 and group["company"].nunique() == 1
        assert group["email"].is_unique and (group["email"] != "").all()
        assert group["email"].str.rpartition("@")[2].nunique() == 1
    assert board.groupby("company")["phone"].nunique().gt(1).any()  # formats differ

    mailbox = planted[kind == "role_mailbox"]
    assert mailbox["email"].str.fullmatch(r"(?:info|sales|marketing|contact)@[a-z0-9.-]+").all()
    assert (mailbox["phone"] == "").all()
    for _, group in mailbox.groupby(mailbox["email"].str.lower()):
        assert 2 <= group["person_id"].nunique() <= 3 and group["company"].nunique() == 1
        assert not (group["first_name"] + " " + group["last_name"]).duplicated().any()

    namesakes = planted[kind == "namesake_colleague"]
    for _, group in namesakes.groupby(["company", "last_name"]):
        assert group["person_id"].nunique() >= 2
        assert group["first_name"].is_unique and group["email"].is_unique
        names = group["first_name"].tolist()
        assert not any(b in NICKNAMES.get(a, ()) for a in names for b in names)

    common = planted[kind == "common_name"]
    for _, group in common.groupby(["first_name", "last_name"]):
        assert group["person_id"].nunique() >= 2
        assert group["company"].nunique() >= 2 and group["city"].nunique() >= 2
        assert group["email"].is_unique

    # Outside the planted groups, distinct people still never share an address or a number.
    people = hard_rows[(hard_rows["is_junk"] == "false") & (hard_rows["email"] != "")]
    owners = people.groupby(people["email"].map(match_key))["person_id"].nunique()
    shared = people[people["email"].map(match_key).isin(owners[owners > 1].index)]
    assert set(shared["hard_case"]) == {"role_mailbox"}
    phones = hard_rows[(hard_rows["is_junk"] == "false") & (hard_rows["phone"] != "")]
    numbers = pd.Series([e164(p, c) for p, c in zip(phones["phone"], phones["country"])],
                        index=phones.index)
    owners = phones.groupby(numbers)["person_id"].nunique()
    shared = phones[numbers.isin(owners[owners > 1].index)]
    assert set(shared["hard_case"]) == {"shared_switchboard"}


def test_hard_rows_pass_the_fraud_rules_like_ordinary_people(hard_rows):
    """Only role_mailbox look-alikes trip a rule (the role_mailbox rule itself); the hard
    duplicates keep real names and plain, valid addresses."""
    reasons = judge_leads(hard_rows, load_fraud_rules(FRAUD_RULES)).reasons
    legit = hard_rows["is_junk"] == "false"
    rejected = hard_rows[legit & (reasons != "")]
    assert set(rejected["hard_case"]) <= {"role_mailbox"}
    assert (reasons[rejected.index] == "role_mailbox").all()
    addresses = hard_rows.loc[legit & (hard_rows["email"] != ""), "email"]
    assert addresses.str.fullmatch(r"[a-z0-9._+]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}").all()
    for phone, country in zip(hard_rows["phone"], hard_rows["country"]):
        if phone:
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone, country)), phone
