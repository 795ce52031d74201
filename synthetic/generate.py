"""Synthetic extracts: a deterministic generator of realistic daily B2B marketing data.

`generate_extracts(out, start, days, leads_per_day, seed, fmt, hard=False)` writes, for each day D
in start .. start + days - 1:

    out/<D>/leads.csv        LEAD_COLUMNS, then the custom attributes product_interest, crm_score
    out/<D>/activities.csv   ACTIVITY_COLUMNS (activities that happened on D)
    out/<D>/outcomes.csv     OUTCOME_COLUMNS (sales status changes that happened on D)

(`.parquet` instead of `.csv` with fmt="parquet"; every column is a string, "" when empty), and
two ground-truth files, always CSV, that the pipeline itself never reads:

    out/ground_truth.csv  one row per lead row written, in file order (date, then row):
        run_date, row_number (0-based row in that day's leads file), source_system,
        source_lead_id, person_id, is_duplicate, dup_kind, is_junk, junk_kind, is_malformed,
        malformed_kind, hard_case, propensity, converted
    out/ground_truth_activities.csv  one row per planted malformed activity row:
        run_date, source_system, activity_id, source_lead_id, malformed_kind

Flags are "true"/"false"; kinds are "" where they do not apply. `is_duplicate` is true for every
row of a person after the first; `propensity` is the person's hidden conversion propensity
(0 for junk); `converted` says whether the person reached "won" within the generated days.

What is planted, as shares of each day's lead rows:
- duplicates (12.5%): the same person again, later the same day or on a later day, from the
  same or another source system. dup_kind: exact_email, email_case_whitespace,
  gmail_dots_plus and googlemail (gmail persons only), phone_format (phone in another format,
  email empty or different), name_typo (one edit, same email), nickname (Robert -> Bob, same
  email).
- junk (6.7%). junk_kind: disposable_domain, bot_user_agent, gibberish_name, test_entry,
  honeypot_filled, fast_form (1-2 s), and ip_burst: bursts of 12-20 leads from one address
  within minutes, about 1.2-2% of a day of at least 400 leads (none on smaller days).
- malformed (1.5%). malformed_kind: bad_created_at, no_contact (no email, phone, company or city),
  bad_employee_count ("lots", negative), missing_source_lead_id. Malformed and junk rows are
  never duplicates; nothing repeats them.
- hard legitimate cases, junk_kind "clean": hard_case short_name ("Li Na"; 1.5% of new
  people), gmail (every other person's first row on gmail.com, about 5%),
  fast_autofill_returning (8% of duplicates that filled a form: 3-5 s, browser autofill; half
  of those whose person came on an earlier day 1-2 s, as fast as fast_form junk, so only the
  warehouse's knowledge of the address tells them apart), honeypot_autofill (1% of new web
  visitors: the browser's autofill put their own email or company in the hidden honeypot field).
- malformed activities (0.3% of activity rows): unknown_activity_type, bad_occurred_at.

Every lead row with an id (malformed rows aside) has an activity stream: the submission itself
at created_at, then activities from created_at on, that day and on later generated days, fading
by 40% a day; the rate and the share of high-intent types (HIGH_INTENT_TYPES) rise with the
person's propensity, opt-outs (unsubscribe, email_bounce) are likelier for low propensity, bot
leads leave bot-user-agent page views. A person's first row may get sales outcomes 1-4 days
after it arrived: sales_accepted or sales_rejected (with a reason), then opportunity, then won
or lost (with a reason), each likelier with higher propensity.

Phone numbers are valid for their country; their last six digits are unique per person up to
a million rows, so distinct people never share a number (shared_switchboard below aside).

hard=True writes a benchmark for fuzzy identity resolution instead of the duplicates above:
- duplicates (25%) that share no exact key (email match key, phone) with any earlier row of
  their person, so only name, company, email domain and city can find them. dup_kind:
  hard_name_typo (one keyboard slip in the first or last name), hard_nickname (Robert -> Bob),
  hard_transposed (first and last name swapped), hard_missing_fields (no email, no phone: these
  and the rows below left with neither are kept by validation for their name with company and
  city, and found by name and company only),
  hard_email_typo (the work address with one slip in its local part, same name and company),
  hard_company_variant (same name, company written differently: legal suffix dropped, added or
  spelt otherwise, "ACME" case, spacing; the only kind that may keep the phone, in another
  format). The name kinds and hard_company_variant give a personal free-mail address (80%) or
  none, never the work one; 30% of the other kinds also write the company differently. City
  and country stay the person's.
- planted look-alikes (about 5% of rows): distinct people an over-eager matcher would merge,
  in hard_case: shared_switchboard (2-4 colleagues giving the company's one number, in any
  format, each with their own work address), role_mailbox (2-3 colleagues submitting with one
  info@ / sales@ / marketing@ / contact@ address and no phone; the fraud role_mailbox rule
  rejects these unless its policy is allow), namesake_colleague (same company and last name,
  unrelated first names) and common_name (same full name, other company, city and address).
  Members are people with a single row; every row of a group carries the group's hard_case.
- no instant (1-2 s) autofill: the warehouse does not know a hard duplicate's address, so
  form_too_fast would reject it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthetic.reference import (LEGAL_SUFFIX_SPELLINGS, COUNTRIES, NAMES, SHORT_NAMES, NICKNAMES, INDUSTRIES,
                                 NO_LEGAL_SUFFIX, NAME_FIRST_PARTS, NAME_SECOND_PARTS, SIZE_TIERS, SENIORITIES,
                                 SENIORITY_FIT, SENIORITY_SHARES_LARGE, SENIORITY_SHARES_SMALL, DEPARTMENTS, TITLES,
                                 FREE_MAIL_DOMAINS, FREE_MAIL_SHARE, STUDENT_FREE_MAIL_SHARE,
                                 CORPORATE_LOCAL_PATTERNS, FREE_LOCAL_PATTERNS, PHONE_SHARE,
                                 FIRMOGRAPHICS_BLANK_SHARE, PHONE_STYLES, SOURCE_SYSTEMS, LEAD_ID_PREFIXES,
                                 LEAD_SOURCES, IMPORTED_LEAD_SOURCES, CAMPAIGN_THEMES, UTM_OPTIONS, PRODUCT_INTERESTS,
                                 BROWSER_USER_AGENTS, PUBLIC_FIRST_OCTETS, IPV6_SHARE, DISPOSABLE_DOMAINS,
                                 BOT_USER_AGENTS, KEYBOARD_MASHES, CONSONANTS, TEST_ENTRIES, HONEYPOT_VALUES,
                                 BAD_CREATED_AT, BAD_EMPLOYEE_COUNTS, UNKNOWN_ACTIVITY_TYPES, BAD_OCCURRED_AT,
                                 HIGH_INTENT_TYPES, LOW_INTENT_TYPES, NEGATIVE_TYPES, JUNK_ACTIVITY_TYPES,
                                 BOT_ACTIVITY_TYPES, CREATION_ACTIVITY, ASSETS, CAMPAIGN_ACTIVITY_TYPES,
                                 NO_BROWSER_ACTIVITY_TYPES, REJECT_REASONS, LOSS_REASONS)
from tasks.intake.contract import ACTIVITY_COLUMNS, LEAD_COLUMNS, OUTCOME_COLUMNS

FORMATS = ("csv", "parquet")
CUSTOM_LEAD_COLUMNS: tuple[str, ...] = ("product_interest", "crm_score")
GROUND_TRUTH_COLUMNS: tuple[str, ...] = (
    "run_date", "row_number", "source_system", "source_lead_id", "person_id", "is_duplicate",
    "dup_kind", "is_junk", "junk_kind", "is_malformed", "malformed_kind", "hard_case",
    "propensity", "converted",
)
# The contract's activity columns the generator writes: not the optional `value` measure.
GENERATED_ACTIVITY_COLUMNS: tuple[str, ...] = tuple(c for c in ACTIVITY_COLUMNS if c != "value")
GROUND_TRUTH_ACTIVITY_COLUMNS: tuple[str, ...] = (
    "run_date", "source_system", "activity_id", "source_lead_id", "malformed_kind",
)

SECONDS_PER_DAY = 86_400

# --- planted shares --------------------------------------------------------------------------

DUPLICATE_SHARE = 0.125
JUNK_SHARE = 0.067  # IP bursts included
BURST_SHARE = 0.012
BURST_SIZES = (12, 21)  # a burst must clearly exceed the usual "more than 10 per IP" threshold
MIN_LEADS_FOR_BURST = 400  # below, one burst would be most of the day's junk
MALFORMED_SHARE = 0.015
MALFORMED_ACTIVITY_SHARE = 0.003
SAME_DAY_DUPLICATE_SHARE = 0.2
OTHER_SYSTEM_DUPLICATE_SHARE = 0.55
FAST_AUTOFILL_SHARE = 0.08
INSTANT_AUTOFILL_SHARE = 0.5  # of fast returning visitors first seen on an earlier day
HONEYPOT_AUTOFILL_SHARE = 0.01  # of new web visitors: autofill puts their own email or company there
SHORT_NAME_SHARE = 0.015
UNIQUE_PHONE_TAILS = 1_000_000

DUP_KINDS = {
    "exact_email": 0.22, "email_case_whitespace": 0.16, "gmail_dots_plus": 0.10,
    "googlemail": 0.05, "phone_format": 0.15, "name_typo": 0.17, "nickname": 0.15,
}
JUNK_KINDS = {
    "disposable_domain": 0.22, "bot_user_agent": 0.18, "gibberish_name": 0.17,
    "test_entry": 0.15, "honeypot_filled": 0.15, "fast_form": 0.13,
}
MALFORMED_KINDS = {
    "bad_created_at": 0.30, "no_contact": 0.25, "bad_employee_count": 0.25,
    "missing_source_lead_id": 0.20,
}

# --- hard mode: duplicates without a shared key, and look-alike distinct people ---------------

HARD_DUPLICATE_SHARE = 0.25
HARD_NEGATIVE_SHARE = 0.05
HARD_DUP_KINDS = {
    "hard_name_typo": 0.20, "hard_nickname": 0.15, "hard_transposed": 0.12,
    "hard_missing_fields": 0.13, "hard_email_typo": 0.18, "hard_company_variant": 0.22,
}
# Share of the planted look-alike rows, and the rows per group (smallest, largest).
HARD_NEGATIVE_KINDS = {"shared_switchboard": 0.30, "role_mailbox": 0.25,
                       "namesake_colleague": 0.25, "common_name": 0.20}
HARD_NEGATIVE_GROUP_SIZES = {"shared_switchboard": (2, 4), "role_mailbox": (2, 3),
                             "namesake_colleague": (2, 2), "common_name": (2, 2)}
HARD_PERSONAL_EMAIL_KINDS = frozenset({"hard_name_typo", "hard_nickname", "hard_transposed",
                                       "hard_company_variant"})
HARD_PERSONAL_EMAIL_SHARE = 0.8  # of those kinds: a personal free-mail address rather than none
HARD_PHONE_KEPT_SHARE = 0.5  # of hard_company_variant rows of people who gave a phone
HARD_COMPANY_VARIANT_SHARE = 0.3  # of the other hard kinds: the company written differently too
ROLE_LOCAL_PARTS = ("info", "sales", "marketing", "contact")
# --- entry point ----------------------------------------------------------------------------


def generate_extracts(
    out: Path, start: date, days: int, leads_per_day: int, seed: int, fmt: str = "csv", *,
    hard: bool = False, activities_per_lead: float | None = None,
) -> dict[str, int]:
    """Write `days` daily extract folders under `out` from `start`, plus the ground truth.

    The same arguments always produce byte-identical files. hard=True plants duplicates that
    share no exact key and look-alike distinct people (see the module docstring). Returns
    counts: leads, duplicates, junk, malformed (lead rows), activities, malformed_activities,
    outcomes.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if days < 1 or leads_per_day < 1:
        raise ValueError("days and leads_per_day must be at least 1")
    # One generator per part, so changing how one part draws leaves the others' data alone.
    # Hard mode draws from a sixth generator of its own: the first five are the same either way.
    plan_rng, people_rng, rows_rng, activity_rng, outcome_rng, hard_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    plan = _plan_rows(plan_rng, days, leads_per_day,
                      HARD_DUPLICATE_SHARE if hard else DUPLICATE_SHARE)
    people = _make_people(people_rng, len(plan))
    leads = _lead_rows(rows_rng, start, plan, people, hard_rng if hard else None)
    activities = _make_activities(activity_rng, start, leads, days, activities_per_lead)
    outcomes, converted = _make_outcomes(outcome_rng, start, leads, days)
    truth = _ground_truth(start, leads, converted)

    out = Path(out)
    for day in range(days):
        folder = out / (start + timedelta(days=day)).isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        _write_table(_day_slice(leads, day)[list(LEAD_COLUMNS + CUSTOM_LEAD_COLUMNS)],
                     folder / "leads", fmt)
        _write_table(_day_slice(activities, day)[list(GENERATED_ACTIVITY_COLUMNS)],
                     folder / "activities", fmt)
        _write_table(_day_slice(outcomes, day)[list(OUTCOME_COLUMNS)], folder / "outcomes", fmt)
    truth.to_csv(out / "ground_truth.csv", index=False, lineterminator="\n")
    malformed_activities = activities[activities["malformed_kind"] != ""]
    malformed_activities[list(GROUND_TRUTH_ACTIVITY_COLUMNS)].to_csv(
        out / "ground_truth_activities.csv", index=False, lineterminator="\n")
    return {
        "leads": len(leads),
        "duplicates": int((leads["role"] == "duplicate").sum()),
        "junk": int((leads["role"] == "junk").sum()),
        "malformed": int((leads["role"] == "malformed").sum()),
        "activities": len(activities),
        "malformed_activities": len(malformed_activities),
        "outcomes": len(outcomes),
    }


# --- small helpers --------------------------------------------------------------------------


def _choice(rng: np.random.Generator, weights: Mapping[str, float], size: int) -> np.ndarray:
    """`size` draws from weighted labels, as an object array."""
    labels = np.array(list(weights), dtype=object)
    p = np.fromiter(weights.values(), dtype=float)
    return labels[rng.choice(len(labels), size=size, p=p / p.sum())]


def _pick(rng: np.random.Generator, options: Sequence[str], size: int) -> np.ndarray:
    """`size` uniform draws from `options`, as an object array."""
    values = np.empty(len(options), dtype=object)
    values[:] = list(options)
    return values[rng.integers(0, len(options), size)]


def _pick_by_key(rng: np.random.Generator, keys: np.ndarray,
                 options: Mapping[str, Sequence[str]]) -> np.ndarray:
    """For each key, a uniform draw from that key's options."""
    picked = np.empty(len(keys), dtype=object)
    for key, choices in options.items():
        rows = np.flatnonzero(keys == key)
        picked[rows] = _pick(rng, choices, len(rows))
    return picked


# Letters that Unicode decomposition does not reduce to an ASCII base letter.
_LETTER_FOLDS = str.maketrans({"ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ł": "l",
                               "Ł": "l", "đ": "d", "Đ": "d", "œ": "oe", "ı": "i"})


def _ascii_letters(text: str) -> str:
    """Lower-case ASCII letters of a name, as it would appear in an email address."""
    folded = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    return "".join(c for c in folded if c.isascii() and c.isalpha()).lower()


def _slug(text: str) -> str:
    """Lower-case words joined by hyphens: "2026-Q1 Search - Brand" -> "2026-q1-search-brand"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _map_distinct(values: np.ndarray, func: Callable[[str], str]) -> np.ndarray:
    """Apply `func` once per distinct value (names repeat a lot)."""
    mapping = {value: func(value) for value in pd.unique(values)}
    return np.array([mapping[v] for v in values], dtype=object)


def _timestamps(start: date, day: np.ndarray, second: np.ndarray) -> np.ndarray:
    """ISO-8601 UTC timestamps ("2026-03-02T14:05:09Z") for day offsets and seconds of day."""
    moments = (np.datetime64(start.isoformat(), "s")
               + (day.astype(np.int64) * SECONDS_PER_DAY + second.astype(np.int64)))
    return np.char.add(np.datetime_as_string(moments, unit="s"), "Z").astype(object)


def _random_ips(rng: np.random.Generator, size: int) -> np.ndarray:
    """Public-looking IPv4 addresses, a few IPv6."""
    octets = rng.integers(1, 255, (size, 3))
    first = PUBLIC_FIRST_OCTETS[rng.integers(0, len(PUBLIC_FIRST_OCTETS), size)]
    hextets = rng.integers(0, 65536, (size, 4))
    ipv6 = rng.random(size) < IPV6_SHARE
    return np.array([
        f"2a02:{h[0]:x}:{h[1]:x}:{h[2]:x}::{h[3]:x}" if six else f"{f}.{o[0]}.{o[1]}.{o[2]}"
        for f, o, h, six in zip(first, octets, hextets, ipv6)
    ], dtype=object)


def _day_dates(start: date, days: int) -> np.ndarray:
    """ISO dates of day offsets 0 .. days - 1."""
    return np.array([(start + timedelta(days=d)).isoformat() for d in range(days)], dtype=object)


def _day_slice(frame: pd.DataFrame, day: int) -> pd.DataFrame:
    """The rows of one day from a frame sorted by its `day` column."""
    days = frame["day"].to_numpy()
    return frame.iloc[np.searchsorted(days, day, "left"):np.searchsorted(days, day, "right")]


def _write_table(frame: pd.DataFrame, stem: Path, fmt: str) -> None:
    """Write a frame of strings as `stem`.csv or `stem`.parquet, removing the other format's file
    (a folder holding both would be ambiguous to the extract reader)."""
    for suffix in FORMATS:
        if suffix != fmt:
            stem.with_suffix(f".{suffix}").unlink(missing_ok=True)
    path = stem.with_suffix(f".{fmt}")
    if fmt == "csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        table = pa.table({c: pa.array(frame[c].tolist(), type=pa.string()) for c in frame.columns})
        pq.write_table(table, path)


# --- the day plan: which row is what, and when -------------------------------------------------


def _plan_rows(rng: np.random.Generator, days: int, leads_per_day: int,
               duplicate_share: float = DUPLICATE_SHARE) -> pd.DataFrame:
    """One row per lead row to write, in file order: day, second, role, kind, burst."""
    frames = []
    burst_count = 0
    for day in range(days):
        bursts = _burst_sizes(rng, leads_per_day)
        n_burst = sum(bursts)
        n_dup = round(leads_per_day * duplicate_share)
        n_junk = round(leads_per_day * JUNK_SHARE) - n_burst
        n_malformed = round(leads_per_day * MALFORMED_SHARE)
        n_new = leads_per_day - n_burst - n_dup - n_junk - n_malformed  # shares leave room
        role = np.array(["new"] * n_new + ["duplicate"] * n_dup + ["junk"] * (n_junk + n_burst)
                        + ["malformed"] * n_malformed, dtype=object)
        kind = np.concatenate([
            np.full(n_new + n_dup, "", dtype=object), _choice(rng, JUNK_KINDS, n_junk),
            np.full(n_burst, "ip_burst", dtype=object), _choice(rng, MALFORMED_KINDS, n_malformed),
        ])
        burst = np.full(len(role), -1)
        second = _arrival_seconds(rng, len(role))
        offset = n_new + n_dup + n_junk
        for size in bursts:
            # A script submits its burst within minutes.
            start = rng.integers(0, SECONDS_PER_DAY - 3_600)
            rows = slice(offset, offset + size)
            burst[rows] = burst_count
            second[rows] = start + np.cumsum(rng.integers(3, 60, size))
            offset += size
            burst_count += 1
        frames.append(pd.DataFrame({"day": day, "second": second, "role": role, "kind": kind,
                                    "burst": burst}))
    plan = pd.concat(frames, ignore_index=True)
    order = np.lexsort((plan["second"].to_numpy(), plan["day"].to_numpy()))
    return plan.iloc[order].reset_index(drop=True)


def _burst_sizes(rng: np.random.Generator, leads_per_day: int) -> list[int]:
    """Sizes of the day's IP bursts: about BURST_SHARE of the day, none on small days."""
    if leads_per_day < MIN_LEADS_FOR_BURST:
        return []
    sizes: list[int] = []
    while sum(sizes) < max(BURST_SHARE * leads_per_day, BURST_SIZES[0]):
        sizes.append(int(rng.integers(*BURST_SIZES)))
    return sizes


def _arrival_seconds(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds of the day leads arrive: mostly around the afternoon (UTC), some at any hour."""
    busy = rng.normal(15.5 * 3_600, 3.5 * 3_600, size)
    anytime = rng.uniform(0, SECONDS_PER_DAY, size)
    seconds = np.where(rng.random(size) < 0.65, busy, anytime)
    return np.clip(seconds, 0, SECONDS_PER_DAY - 1).astype(np.int64)


# --- people ---------------------------------------------------------------------------------


def _make_companies(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Distinct companies: name with legal suffix, web domain, industry, country, size, revenue."""
    industry = _choice(rng, {k: v[0] for k, v in INDUSTRIES.items()}, count)
    word = _pick_by_key(rng, industry, {k: v[3] for k, v in INDUSTRIES.items()})
    first = _pick(rng, NAME_FIRST_PARTS, count)
    second = _pick(rng, NAME_SECOND_PARTS, count)
    companies = pd.DataFrame({"industry": industry, "word": word, "first": first,
                              "second": second})
    companies = companies.drop_duplicates(["first", "second", "word"], ignore_index=True)
    count = len(companies)
    joined = rng.random(count) < 0.6
    companies["base"] = np.where(joined, companies["first"] + companies["second"],
                                 companies["first"] + " " + companies["second"].str.capitalize())
    companies["country"] = _choice(rng, {k: c.weight for k, c in COUNTRIES.items()}, count)
    suffix = _pick_by_key(rng, companies["country"].to_numpy(),
                          {k: c.legal_suffixes for k, c in COUNTRIES.items()})
    tld = _pick_by_key(rng, companies["country"].to_numpy(),
                       {k: c.tlds for k, c in COUNTRIES.items()})
    suffix[companies["industry"].isin(NO_LEGAL_SUFFIX).to_numpy()] = ""
    companies["company"] = (companies["base"] + " " + companies["word"] + " " + suffix).str.strip()
    # A base name shared by two companies would give them one domain: add the industry word.
    slug_base = companies["base"].str.replace(" ", "").str.lower()
    shared = slug_base.duplicated(keep=False)
    companies["domain"] = np.where(shared, slug_base + companies["word"].str.lower(),
                                   slug_base) + tld
    tier = rng.choice(len(SIZE_TIERS), count, p=[t[0] for t in SIZE_TIERS])
    low = np.array([t[1] for t in SIZE_TIERS])[tier]
    high = np.array([t[2] for t in SIZE_TIERS])[tier]
    employees = np.maximum(1, np.round(10 ** rng.uniform(low, high))).astype(np.int64)
    per_employee = companies["industry"].map({k: v[1] for k, v in INDUSTRIES.items()}).to_numpy()
    revenue = employees * per_employee * rng.lognormal(0.0, 0.35, count)
    companies["employee_count"] = employees
    companies["annual_revenue"] = np.round(revenue, -3).astype(np.int64)
    return companies[["company", "domain", "industry", "country", "employee_count",
                      "annual_revenue"]]


def _make_people(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """`count` distinct people: name, employer, role, contact details and hidden propensity."""
    companies = _make_companies(rng, max(40, count // 5))
    # Skewed toward the first companies: big accounts bring many leads.
    employer = (len(companies) * rng.random(count) ** 1.4).astype(np.int64)
    people = companies.iloc[employer].reset_index(drop=True)
    country = people["country"].to_numpy().copy()
    relocated = rng.random(count) < 0.12  # remote staff of a company based elsewhere
    country[relocated] = _choice(rng, {k: c.weight for k, c in COUNTRIES.items()},
                                 int(relocated.sum()))
    people["country"] = country

    culture = np.empty(count, dtype=object)
    place = np.empty(count, dtype=np.int64)
    for code, spec in COUNTRIES.items():
        rows = np.flatnonzero(country == code)
        culture[rows] = _choice(rng, spec.cultures, len(rows))
        place[rows] = rng.integers(0, len(spec.places), len(rows))
    first = _pick_by_key(rng, culture, {k: v[0] for k, v in NAMES.items()})
    last = _pick_by_key(rng, culture, {k: v[1] for k, v in NAMES.items()})
    short = rng.random(count) < SHORT_NAME_SHARE
    pairs = rng.integers(0, len(SHORT_NAMES), int(short.sum()))
    first[short] = [SHORT_NAMES[i][0] for i in pairs]
    last[short] = [SHORT_NAMES[i][1] for i in pairs]
    people["first_name"], people["last_name"], people["short_name"] = first, last, short
    people["region"] = [COUNTRIES[c].places[i][0] for c, i in zip(country, place)]
    people["city"] = [COUNTRIES[c].places[i][1] for c, i in zip(country, place)]
    area_code = np.array([COUNTRIES[c].places[i][2] for c, i in zip(country, place)],
                         dtype=object)

    small = people["employee_count"].to_numpy() <= 50
    seniority = np.where(
        small, rng.choice(len(SENIORITIES), count, p=SENIORITY_SHARES_SMALL),
        rng.choice(len(SENIORITIES), count, p=SENIORITY_SHARES_LARGE))
    department = _choice(rng, {k: v[0] for k, v in DEPARTMENTS.items()}, count)
    title_key = np.array([f"{SENIORITIES[s]}|{d}" for s, d in zip(seniority, department)],
                         dtype=object)
    people["job_title"] = _pick_by_key(
        rng, title_key, {f"{s}|{d}": titles for (s, d), titles in TITLES.items()})

    student = seniority == SENIORITIES.index("Student/Intern")
    free_mail = rng.random(count) < np.where(student, STUDENT_FREE_MAIL_SHARE, FREE_MAIL_SHARE)
    people["email"] = _emails(rng, first, last, people["domain"].to_numpy(), free_mail)

    people["has_phone"] = rng.random(count) < PHONE_SHARE
    people["phone_nsn"] = _phone_numbers(rng, country, area_code)
    people["phone_style"] = rng.choice(len(PHONE_STYLES), count, p=PHONE_STYLES)

    logit = (-1.5 + SENIORITY_FIT[seniority]
             + people["industry"].map({k: v[2] for k, v in INDUSTRIES.items()}).to_numpy()
             + np.array([DEPARTMENTS[d][1] for d in department])
             + np.array([COUNTRIES[c].fit for c in country])
             + 0.45 * np.clip(np.log10(people["employee_count"].to_numpy()) - 2, -2, 2)
             - 0.5 * free_mail + rng.normal(0.0, 0.8, count))
    people["propensity"] = 1 / (1 + np.exp(-logit))
    people["email_consent"] = np.where(rng.random(count) < 0.85, "true", "false")
    people["do_not_contact"] = np.where(rng.random(count) < 0.03, "true", "false")
    people["product_interest"] = _pick(rng, PRODUCT_INTERESTS, count)
    return people


def _emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, domain: np.ndarray,
            free_mail: np.ndarray) -> np.ndarray:
    """Addresses in the patterns companies and people use; distinct people never share one."""
    count = len(first)
    f, l_ = _map_distinct(first, _ascii_letters), _map_distinct(last, _ascii_letters)
    initial = np.array([s[:1] for s in f], dtype=object)
    two_digits = np.array([f"{n % 100:02d}" for n in rng.integers(70, 106, count)], dtype=object)
    year = rng.integers(1970, 2005, count).astype(str).astype(object)
    local_by_pattern = {
        "first.last": f + "." + l_, "flast": initial + l_, "f.last": initial + "." + l_,
        "firstlast": f + l_, "first": f, "first_last": f + "_" + l_,
        "first.lastNN": f + "." + l_ + two_digits, "flastNNNN": initial + l_ + year,
        "firstNNNN": f + year,
    }
    pattern = np.where(free_mail, _choice(rng, FREE_LOCAL_PATTERNS, count),
                       _choice(rng, CORPORATE_LOCAL_PATTERNS, count))
    local = np.empty(count, dtype=object)
    for name, values in local_by_pattern.items():
        rows = pattern == name
        local[rows] = values[rows]
    domain = np.where(free_mail, _choice(rng, FREE_MAIL_DOMAINS, count), domain)
    emails = local + "@" + domain
    # Namesakes at one domain: number the later ones (".<row>" never arises from a pattern).
    clash = pd.Series(emails).duplicated().to_numpy()
    rows = np.flatnonzero(clash)
    emails[rows] = [f"{local[i]}.{i}@{domain[i]}" for i in rows]
    return emails


def _phone_numbers(rng: np.random.Generator, country: np.ndarray,
                   area_code: np.ndarray) -> np.ndarray:
    """National significant numbers valid for each country; the last six digits are unique."""
    count = len(country)
    tail = (np.arange(count, dtype=np.int64) * 7_919 + rng.integers(0, UNIQUE_PHONE_TAILS)) \
        % UNIQUE_PHONE_TAILS
    digits = rng.integers(0, 10, (count, 4))
    exchange_lead = rng.integers(2, 10, count)  # North American exchanges never start 0 or 1
    numbers = np.empty(count, dtype=object)
    for code, spec in COUNTRIES.items():
        rows = np.flatnonzero(country == code)
        if spec.phone_prefixes:
            prefix = _pick(rng, spec.phone_prefixes, len(rows))
        else:
            prefix = area_code[rows] + exchange_lead[rows].astype(str).astype(object)
        numbers[rows] = [
            p + "".join(map(str, d[:spec.phone_length - len(p) - 6])) + f"{t:06d}"
            for p, d, t in zip(prefix, digits[rows], tail[rows])
        ]
    return numbers


def _format_phones(country: np.ndarray, nsn: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Phone numbers written the way people type them: national, international, E.164 or
    punctuated, per the row's style."""
    formatted = np.empty(len(country), dtype=object)
    for code, spec in COUNTRIES.items():
        rows = np.flatnonzero(country == code)
        cuts = np.cumsum((0,) + spec.phone_groups)
        templates = (spec.national, spec.international, f"+{spec.calling_code}{{nsn}}",
                     spec.punctuated)
        formatted[rows] = [
            templates[s].format(*(n[a:b] for a, b in zip(cuts[:-1], cuts[1:])), nsn=n)
            for n, s in zip(nsn[rows], style[rows])
        ]
    return formatted


# Each last name's culture, for a namesake's first name (the first culture listing it).
_LAST_NAME_CULTURE = {last: culture for culture, (_, lasts) in reversed(NAMES.items())
                      for last in lasts}
_COMPANY_COLUMNS = ("company", "domain", "industry", "employee_count", "annual_revenue")
_OFFICE_COLUMNS = ("country", "region", "city")


def _plant_lookalikes(rng: np.random.Generator, people: pd.DataFrame, role: np.ndarray,
                      person: np.ndarray) -> np.ndarray:
    """Turn groups of people with a single row into distinct people who look alike (hard mode),
    changing their rows of `people` in place; returns each row's hard_case ("" elsewhere).

    shared_switchboard: colleagues in one office giving its one number; role_mailbox: colleagues
    in one office giving one role address; namesake_colleague: the same last name at one company;
    common_name: the same full name at another company in another city.
    """
    n = len(people)
    repeated = np.zeros(n, dtype=bool)
    repeated[person[role == "duplicate"]] = True
    eligible = np.flatnonzero((role == "new") & ~repeated & ~people["short_name"].to_numpy())
    pool = [int(i) for i in rng.permutation(eligible)]
    col = {c: people[c].to_numpy().copy() for c in (
        *_COMPANY_COLUMNS, *_OFFICE_COLUMNS, "first_name", "last_name", "email", "has_phone",
        "phone_nsn", "phone_style")}
    hard = np.full(n, "", dtype=object)
    readdress: list[tuple[int, bool]] = []  # (row, free mail): rows that need an own address

    def fits(kind: str, anchor: int, other: int) -> bool:
        if kind == "common_name":
            return all(col[c][other] != col[c][anchor] for c in ("company", "domain", "city"))
        return (col["first_name"][other], col["last_name"][other]) != (
            col["first_name"][anchor], col["last_name"][anchor])

    def take(kind: str, size: int) -> list[int]:
        """An anchor and size - 1 others that fit it, out of the pool; [] when it runs dry."""
        if not pool:
            return []
        group = [pool.pop()]
        for j in range(len(pool) - 1, -1, -1):
            if len(group) == size:
                break
            if fits(kind, group[0], pool[j]):
                group.append(pool.pop(j))
        return group if len(group) == size else []

    weight = sum(HARD_NEGATIVE_KINDS.values())
    wanted = {k: round(HARD_NEGATIVE_SHARE * n * w / weight)
              for k, w in HARD_NEGATIVE_KINDS.items()}
    planted = dict.fromkeys(wanted, 0)
    exhausted = False
    # In turns, so a small run gets every kind.
    while not exhausted and any(planted[k] < wanted[k] for k in wanted):
        for kind in [k for k in wanted if planted[k] < wanted[k]]:
            low, high = HARD_NEGATIVE_GROUP_SIZES[kind]
            group = take(kind, int(rng.integers(low, high + 1)))
            if not group:
                exhausted = True  # nobody left who fits
                break
            anchor, others = group[0], group[1:]
            if kind in ("shared_switchboard", "role_mailbox", "namesake_colleague"):
                for c in _COMPANY_COLUMNS:
                    col[c][others] = col[c][anchor]
            if kind in ("shared_switchboard", "role_mailbox"):  # one office
                for c in _OFFICE_COLUMNS:
                    col[c][others] = col[c][anchor]
            if kind == "shared_switchboard":
                col["has_phone"][group] = True
                col["phone_nsn"][group] = col["phone_nsn"][anchor]
                col["phone_style"][group] = rng.choice(len(PHONE_STYLES), len(group),
                                                       p=PHONE_STYLES)
                readdress += [(i, False) for i in group]
            elif kind == "role_mailbox":
                role_local = _pick(rng, ROLE_LOCAL_PARTS, 1)[0]
                col["email"][group] = f"{role_local}@{col['domain'][anchor]}"
                col["has_phone"][group] = False
            elif kind == "namesake_colleague":
                col["last_name"][others] = col["last_name"][anchor]
                col["first_name"][others] = [_unrelated_first_name(
                    rng, col["first_name"][anchor], col["last_name"][anchor]) for _ in others]
                readdress += [(i, False) for i in others]
            else:  # common_name
                col["first_name"][others] = col["first_name"][anchor]
                col["last_name"][others] = col["last_name"][anchor]
                readdress += [(i, col["email"][i].rpartition("@")[2] in FREE_MAIL_DOMAINS)
                              for i in others]
            hard[group] = kind
            planted[kind] += len(group)

    rows = np.array([r for r, _ in readdress], dtype=np.int64)
    free = np.array([f for _, f in readdress], dtype=bool)
    fresh = _emails(rng, col["first_name"][rows], col["last_name"][rows], col["domain"][rows], free)
    kept = np.ones(n, dtype=bool)
    kept[rows] = False
    taken = {_mail_key(e) for e in col["email"][kept]}
    col["email"][rows] = [_unused_address(e, r, taken) for e, r in zip(fresh, rows)]
    for c, values in col.items():
        people[c] = values
    return hard


def _unrelated_first_name(rng: np.random.Generator, first: str, last: str) -> str:
    """A first name of the last name's culture that is neither `first`, a form of it, nor a
    near spelling of it."""
    def related(other: str) -> bool:
        a, b = _ascii_letters(first), _ascii_letters(other)
        forms = {first, *NICKNAMES.get(first, ())}
        return (a[:3] == b[:3] or other in forms or first in NICKNAMES.get(other, ())
                or bool(forms & set(NICKNAMES.get(other, ()))))

    options = [f for f in NAMES[_LAST_NAME_CULTURE.get(last, "en")][0] if not related(f)]
    return options[int(rng.integers(0, len(options)))]


def _mail_key(email: str) -> str:
    """An address as exact matching compares it: trimmed, lower case, Gmail dots and +tags
    dropped, googlemail.com folded into gmail.com."""
    local, _, domain = email.strip().lower().rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
    return f"{local}@{domain}"


def _unused_address(email: str, row: int, taken: set[str]) -> str:
    """`email`, numbered with the row (then a counter) if its match key is taken; the address
    returned is added to `taken`."""
    local, _, domain = email.rpartition("@")
    candidate, k = email, 0
    while _mail_key(candidate) in taken:
        k += 1
        candidate = f"{local}.{row}@{domain}" if k == 1 else f"{local}.{row}{k}@{domain}"
    taken.add(_mail_key(candidate))
    return candidate


# --- lead rows ------------------------------------------------------------------------------


def _lead_rows(rng: np.random.Generator, start: date, plan: pd.DataFrame,
               people: pd.DataFrame, hard_rng: np.random.Generator | None = None) -> pd.DataFrame:
    """All lead rows in file order: contract columns, custom attributes and hidden truth.
    With `hard_rng`, hard duplicates and look-alike people instead of the usual duplicates."""
    hard = hard_rng is not None
    role = plan["role"].to_numpy().copy()
    source, dup_kind = _duplicate_sources(rng, plan, people, hard)
    role[(role == "duplicate") & (source < 0)] = "new"  # nobody earlier to repeat
    person = np.where(role == "duplicate", source, np.arange(len(plan)))
    lookalike = np.full(len(plan), "", dtype=object)
    if hard_rng is not None:
        people = people.copy()
        lookalike = _plant_lookalikes(hard_rng, people, role, person)

    leads = people.iloc[person].reset_index(drop=True)
    leads["person"] = person
    leads["day"] = plan["day"].to_numpy()
    leads["second"] = plan["second"].to_numpy()
    leads["role"] = role
    leads["dup_kind"] = np.where(role == "duplicate", dup_kind, "")
    leads["junk_kind"] = np.where(role == "junk", plan["kind"], "")
    leads["malformed_kind"] = np.where(role == "malformed", plan["kind"], "")
    leads["hard_case"] = lookalike  # a person's only row: row and person are one
    _add_submission(rng, start, leads, source)
    if hard_rng is not None:
        _vary_hard_duplicates(hard_rng, leads)
    else:
        _vary_duplicates(rng, leads)
    _plant_junk(rng, leads, plan["burst"].to_numpy())
    _plant_malformations(rng, leads)
    # The warehouse knows no address of a hard duplicate: it would not excuse a 1-2 s form.
    _mark_hard_cases(rng, leads, 0.0 if hard else INSTANT_AUTOFILL_SHARE)

    leads["phone"] = np.where(leads["has_phone"], _format_phones(
        leads["country"].to_numpy(), leads["phone_nsn"].to_numpy(),
        leads["phone_style"].to_numpy()), "")
    _assign_lead_ids(leads)
    return leads


def _duplicate_sources(rng: np.random.Generator, plan: pd.DataFrame, people: pd.DataFrame,
                       hard: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each duplicate row: the earlier new row whose person it repeats (-1 if none), and how
    it differs. Kinds that need a gmail, a phone, a nickname or a work address draw only from
    such people."""
    n = len(plan)
    is_dup = (plan["role"] == "duplicate").to_numpy()
    new = (plan["role"] == "new").to_numpy()
    kind = np.where(is_dup, _choice(rng, HARD_DUP_KINDS if hard else DUP_KINDS, n), "")
    nickname = new & people["first_name"].isin(list(NICKNAMES)).to_numpy()
    if hard:
        email = people["email"]
        work = ~email.str.rpartition("@")[2].isin(list(FREE_MAIL_DOMAINS)).to_numpy()
        typeable = email.str.match(r"[^@]*[a-z]{3}").to_numpy()  # a word to slip in
        pools = {
            "hard_nickname": nickname, "hard_email_typo": new & work & typeable,
            "hard_transposed": new & (people["first_name"] != people["last_name"]).to_numpy(),
            "hard_name_typo": new, "hard_company_variant": new, "hard_missing_fields": new,
        }
    else:
        gmail = new & people["email"].str.endswith("@gmail.com").to_numpy()
        pools = {
            "gmail_dots_plus": gmail, "googlemail": gmail,
            "phone_format": new & people["has_phone"].to_numpy(), "nickname": nickname,
            "name_typo": new, "email_case_whitespace": new, "exact_email": new,
        }
    leftover = list(pools)[-1]
    day = plan["day"].to_numpy()
    day_start = np.searchsorted(day, day, "left")
    same_day = rng.random(n) < SAME_DAY_DUPLICATE_SHARE
    draw = rng.random(n)
    source = np.full(n, -1)
    for name, eligible in pools.items():  # the last kind takes the others' leftovers
        rows = np.flatnonzero(is_dup & (kind == name) & (source < 0))
        pool = np.flatnonzero(eligible)
        before = np.searchsorted(pool, rows)  # eligible people who arrived earlier
        before_today = np.searchsorted(pool, day_start[rows])
        today = (same_day[rows] & (before > before_today)) | (before_today == 0)
        low = np.where(today, before_today, 0)
        high = np.where(today, before, before_today)
        found = high > low
        source[rows[found]] = pool[low[found] + (draw[rows[found]] * (high - low)[found])
                                   .astype(np.int64)]
        kind[rows[~found]] = leftover
    return source, kind


def _add_submission(rng: np.random.Generator, start: date, leads: pd.DataFrame,
                    source: np.ndarray) -> None:
    """Per-row fields of the submission itself: system, channel, campaign, browser, timing."""
    n = len(leads)
    system = _choice(rng, SOURCE_SYSTEMS, n)
    dup = np.flatnonzero(leads["role"].to_numpy() == "duplicate")
    names = list(SOURCE_SYSTEMS)
    other = rng.random(len(dup)) < OTHER_SYSTEM_DUPLICATE_SHARE
    source_system = np.array([names.index(s) for s in system[source[dup]]], dtype=np.int64)
    shifted = (source_system + rng.integers(1, len(names), len(dup))) % len(names)
    system[dup] = np.where(other, np.array(names, dtype=object)[shifted], system[source[dup]])
    leads["source_system"] = system

    lead_source = _choice(rng, LEAD_SOURCES, n)
    lead_source[leads["role"].to_numpy() == "junk"] = "web_form"  # junk comes through web forms
    leads["lead_source"] = lead_source
    day = leads["day"].to_numpy()
    quarter = np.array([f"{d[:4]}-Q{(int(d[5:7]) - 1) // 3 + 1}"
                        for d in _day_dates(start, int(day.max()) + 1)], dtype=object)[day]
    theme = _pick_by_key(rng, lead_source, CAMPAIGN_THEMES)
    leads["campaign"] = np.where(theme == "", "", quarter + " " + theme)
    utm = _pick_by_key(rng, lead_source, {k: [f"{s}|{m}" for s, m in v]
                                          for k, v in UTM_OPTIONS.items()})
    leads["utm_source"] = [u.split("|")[0] for u in utm]
    leads["utm_medium"] = [u.split("|")[1] for u in utm]
    tracked = (leads["utm_medium"] != "") & (leads["campaign"] != "")
    leads["utm_campaign"] = np.where(tracked, _map_distinct(leads["campaign"].to_numpy(), _slug),
                                     "")

    second = leads["second"].to_numpy()
    leads["created_at"] = _timestamps(start, day, second)
    edited = np.where(rng.random(n) < 0.4, 0, rng.integers(1, 3_600, n))
    leads["updated_at"] = _timestamps(start, day, np.minimum(second + edited, SECONDS_PER_DAY - 1))

    # The browser a person uses; activities on the website carry it even for imported leads.
    leads["device_ip"] = _random_ips(rng, n)
    leads["device_ua"] = _choice(rng, BROWSER_USER_AGENTS, n)
    imported = np.isin(lead_source, list(IMPORTED_LEAD_SOURCES))
    leads["ip_address"] = np.where(imported, "", leads["device_ip"])
    leads["user_agent"] = np.where(imported, "", leads["device_ua"])
    form_seconds = np.clip(np.round(rng.lognormal(np.log(60), 0.7, n)), 8, 900).astype(np.int64)
    leads["form_seconds"] = np.where(imported, "", form_seconds.astype(str))
    leads["honeypot"] = ""
    for column in ("employee_count", "annual_revenue"):  # self-reported: often left blank
        text = leads[column].astype(str).to_numpy(dtype=object)
        leads[column] = np.where(rng.random(n) < FIRMOGRAPHICS_BLANK_SHARE, "", text)
    score = np.clip(np.round(leads["propensity"].to_numpy() * 100 + rng.normal(0, 12, n)), 0, 100)
    # Salesforce keeps no marketing score of its own.
    leads["crm_score"] = np.where(system == "salesforce", "", score.astype(np.int64).astype(str))


def _vary_duplicates(rng: np.random.Generator, leads: pd.DataFrame) -> None:
    """Make each duplicate row differ from its person's first row as its dup_kind says."""
    kind = leads["dup_kind"].to_numpy()
    dup = leads["role"].to_numpy() == "duplicate"
    email = leads["email"].to_numpy().copy()
    n = len(leads)
    draws = rng.random((n, 3))

    rows = np.flatnonzero(kind == "email_case_whitespace")
    email[rows] = [_case_variant(email[i], draws[i, 0]) for i in rows]
    rows = np.flatnonzero(kind == "gmail_dots_plus")
    email[rows] = [_gmail_variant(email[i], draws[i, 0], draws[i, 1]) for i in rows]
    rows = np.flatnonzero(kind == "googlemail")
    email[rows] = [email[i].replace("@gmail.com", "@googlemail.com") for i in rows]

    # Matched by phone only: another format, and no email or a personal one.
    has_phone = leads["has_phone"].to_numpy().copy()
    style = leads["phone_style"].to_numpy().copy()
    rows = np.flatnonzero(kind == "phone_format")
    style[rows] = (style[rows] + rng.integers(1, len(PHONE_STYLES), len(rows))) % len(PHONE_STYLES)
    other_address = draws[rows, 0] < 0.5
    free = _choice(rng, FREE_MAIL_DOMAINS, len(rows))
    first_names, last_names = leads["first_name"].to_numpy(), leads["last_name"].to_numpy()
    # ".<row>" keeps the personal address apart from every other person's.
    personal = [f"{_ascii_letters(first_names[i])}.{_ascii_letters(last_names[i])}.{i}@{d}"
                for i, d in zip(rows, free)]
    email[rows] = np.where(other_address, np.array(personal, dtype=object), "")
    # The other kinds keep the number as first written, or leave it out.
    others = np.flatnonzero(dup & (kind != "phone_format"))
    has_phone[others] &= draws[others, 2] < 0.6

    first = leads["first_name"].to_numpy().copy()
    last = leads["last_name"].to_numpy().copy()
    rows = np.flatnonzero(kind == "name_typo")
    for i in rows:
        if len(last[i]) >= 4 or len(first[i]) < 4:
            last[i] = _typo(last[i], draws[i, 0], draws[i, 1])
        else:
            first[i] = _typo(first[i], draws[i, 0], draws[i, 1])
    rows = np.flatnonzero(kind == "nickname")
    first[rows] = [NICKNAMES[first[i]][int(draws[i, 0] * len(NICKNAMES[first[i]]))]
                   for i in rows]
    leads["email"], leads["first_name"], leads["last_name"] = email, first, last
    leads["has_phone"], leads["phone_style"] = has_phone, style


def _case_variant(email: str, draw: float) -> str:
    """The address with other capitals or stray spaces; always different from the original."""
    local, _, domain = email.partition("@")
    capitalised = ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()
    variants = (email.upper(), capitalised, f" {email}", f"{capitalised} ")
    return variants[int(draw * len(variants))]


def _gmail_variant(email: str, draw: float, where: float) -> str:
    """A Gmail address as Gmail delivers it too: an extra dot, a +tag, or both."""
    local, _, domain = email.partition("@")
    mode = int(draw * 3)  # 0: dot, 1: tag, 2: both
    if mode != 1:
        gaps = [i for i in range(1, len(local)) if local[i - 1] != "." and local[i] != "."]
        if gaps:
            i = gaps[int(where * len(gaps))]
            local = f"{local[:i]}.{local[i:]}"
        else:
            mode = 1
    if mode != 0:
        local += "+" + ("news", "work", "webinar", "crm")[int(where * 4)]
    return f"{local}@{domain}"


# Slips that keep a vowel a vowel and a consonant a consonant, so a typo never makes a real
# name look like a keyboard mash.
_TYPO_REPLACEMENTS = {
    "a": "e", "e": "a", "i": "e", "o": "u", "u": "o", "y": "i", "b": "vn", "c": "xv",
    "d": "sf", "f": "dg", "g": "fh", "h": "gj", "j": "hk", "k": "jl", "l": "k", "m": "n",
    "n": "bm", "p": "l", "q": "w", "r": "t", "s": "d", "t": "r", "v": "cb", "w": "q",
    "x": "zc", "z": "x",
}
_UNTYPED = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}|(.)\1\1", re.IGNORECASE)


def _typo(name: str, draw: float, where: float) -> str:
    """One slip of the keyboard: a wrong letter, a dropped letter or two letters swapped."""
    i = 1 + int(where * (len(name) - 1)) if len(name) > 1 else 0
    operation = int(draw * 3)
    candidate = ""
    if operation == 1 and len(name) >= 4:
        candidate = name[:i] + name[i + 1:]
    elif operation == 2 and i + 1 < len(name) and name[i] != name[i + 1]:
        candidate = name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if candidate and not _UNTYPED.search(candidate):
        return candidate
    letter = name[i].lower()
    options = _TYPO_REPLACEMENTS.get(letter, "a" if letter != "a" else "e")
    replacement = options[int(draw * 97) % len(options)]
    return name[:i] + (replacement.upper() if name[i].isupper() else replacement) + name[i + 1:]


def _vary_hard_duplicates(rng: np.random.Generator, leads: pd.DataFrame) -> None:
    """Make each hard duplicate row differ from its person's first row as its dup_kind says. A
    row's address (by match key) is no other row's; it gives no phone, hard_company_variant
    aside."""
    kind = leads["dup_kind"].to_numpy()
    dup = leads["role"].to_numpy() == "duplicate"
    n = len(leads)
    draws = rng.random((n, 6))
    work_email = leads["email"].to_numpy()
    email = np.where(dup, "", work_email).astype(object)
    taken = {_mail_key(e) for e in work_email if e}

    rows = np.flatnonzero(kind == "hard_email_typo")
    email[rows] = [_email_typo(rng, work_email[i], i, taken) for i in rows]
    # A personal address, named after the person however the form was filled in.
    rows = np.flatnonzero(dup & np.isin(kind, list(HARD_PERSONAL_EMAIL_KINDS))
                          & (draws[:, 0] < HARD_PERSONAL_EMAIL_SHARE))
    personal = _emails(rng, leads["first_name"].to_numpy()[rows],
                       leads["last_name"].to_numpy()[rows], np.full(len(rows), "", dtype=object),
                       np.ones(len(rows), dtype=bool))
    email[rows] = [_unused_address(e, i, taken) for e, i in zip(personal, rows)]

    has_phone = leads["has_phone"].to_numpy().copy()
    style = leads["phone_style"].to_numpy().copy()
    kept = (dup & (kind == "hard_company_variant") & has_phone
            & (draws[:, 1] < HARD_PHONE_KEPT_SHARE))
    has_phone[dup & ~kept] = False
    rows = np.flatnonzero(kept)
    style[rows] = (style[rows] + rng.integers(1, len(PHONE_STYLES), len(rows))) % len(PHONE_STYLES)

    first = leads["first_name"].to_numpy().copy()
    last = leads["last_name"].to_numpy().copy()
    for i in np.flatnonzero(kind == "hard_name_typo"):
        if len(first[i]) >= 4 and (draws[i, 2] < 0.4 or len(last[i]) < 4):
            first[i] = _typo(first[i], draws[i, 3], draws[i, 4])
        else:
            last[i] = _typo(last[i], draws[i, 3], draws[i, 4])
    rows = np.flatnonzero(kind == "hard_nickname")
    first[rows] = [NICKNAMES[first[i]][int(draws[i, 3] * len(NICKNAMES[first[i]]))]
                   for i in rows]
    rows = np.flatnonzero(kind == "hard_transposed")
    first[rows], last[rows] = last[rows], first[rows].copy()

    company = leads["company"].to_numpy().copy()
    country = leads["country"].to_numpy()
    rows = np.flatnonzero(dup & ((kind == "hard_company_variant")
                                 | (draws[:, 5] < HARD_COMPANY_VARIANT_SHARE)))
    picks = rng.random((len(rows), 3))
    company[rows] = [_company_variant(company[i], country[i], p, kind[i] == "hard_company_variant")
                     for i, p in zip(rows, picks)]
    leads["email"], leads["first_name"], leads["last_name"] = email, first, last
    leads["company"], leads["has_phone"], leads["phone_style"] = company, has_phone, style


def _email_typo(rng: np.random.Generator, email: str, row: int, taken: set[str]) -> str:
    """The address with one slip in a word of its local part (jon.smith@ -> jon.smiht@), not
    an address anyone has; added to `taken`."""
    local, _, domain = email.rpartition("@")
    words = [m.span() for m in re.finditer(r"[a-z]{3,}", local)]
    for _ in range(20):
        a, b = words[int(rng.integers(0, len(words)))]
        draw, where = rng.random(2)
        typed = f"{local[:a]}{_typo(local[a:b], draw, where)}{local[b:]}@{domain}"
        if _mail_key(typed) not in taken:
            break
    return _unused_address(typed, row, taken)


# Longest first: "Pty Ltd" and "Pvt Ltd" before "Ltd".
_LEGAL_SUFFIXES = sorted({s for c in COUNTRIES.values() for s in c.legal_suffixes}, key=len,
                         reverse=True)
_COMPANY_REWRITES = ("spacing", "suffix", "case")  # the order they combine in


def _company_variant(company: str, country: str, draws: np.ndarray, full: bool) -> str:
    """The company as someone else writes it: legal suffix dropped, added or spelt otherwise,
    or in capitals; with `full`, also its name's spacing, and a third of the time two of these.
    Always differs from `company`."""
    ways = _COMPANY_REWRITES if full else _COMPANY_REWRITES[1:]
    chosen = {ways[int(draws[0] * len(ways))]}
    if full and draws[2] < 0.35:
        chosen.add(ways[int(draws[2] / 0.35 * len(ways))])
    written = company
    for way in _COMPANY_REWRITES:
        if way in chosen:
            written = _rewrite_company(written, way, country, draws[1])
    return written if written != company else company.upper()


def _rewrite_company(company: str, way: str, country: str, draw: float) -> str:
    """One way of writing a company differently (see _company_variant)."""
    if way == "case":
        return company.upper() if draw < 0.75 else company.lower()
    if way == "spacing":  # "North Wind Systems" <-> "Northwind Systems"
        for part in NAME_FIRST_PARTS:
            rest = company[len(part):]
            if not company.startswith(part):
                continue
            if rest[:1] == " " and any(rest[1:].startswith(w.capitalize())
                                       for w in NAME_SECOND_PARTS):
                return part + rest[1].lower() + rest[2:]
            if any(rest.startswith(w) for w in NAME_SECOND_PARTS):
                return f"{part} {rest[0].upper()}{rest[1:]}"
        way = "suffix"
    suffix = next((s for s in _LEGAL_SUFFIXES if company.endswith(f" {s}")), "")
    if not suffix:
        options = COUNTRIES[country].legal_suffixes
        return f"{company} {options[int(draw * len(options))]}"
    stem = company[:-len(suffix) - 1]
    if draw < 0.5:
        return stem
    options = [f"{stem} {s}" for s in LEGAL_SUFFIX_SPELLINGS.get(suffix, ())] + [
        f"{stem}, {suffix}"]
    return options[int((draw - 0.5) * 2 * len(options))]


def _plant_junk(rng: np.random.Generator, leads: pd.DataFrame, burst: np.ndarray) -> None:
    """Give each junk row the one trait its junk_kind names; everything else looks ordinary."""
    kind = leads["junk_kind"].to_numpy()
    junk = leads["role"].to_numpy() == "junk"
    leads.loc[junk, "propensity"] = 0.0

    rows = np.flatnonzero(kind == "disposable_domain")
    leads.loc[rows, "email"] = [
        e.partition("@")[0] + "@" + d
        for e, d in zip(leads["email"].to_numpy()[rows], _pick(rng, DISPOSABLE_DOMAINS, len(rows)))
    ]

    rows = np.flatnonzero(kind == "bot_user_agent")
    bots = _pick(rng, BOT_USER_AGENTS, len(rows))
    leads.loc[rows, "user_agent"] = bots
    leads.loc[rows, "device_ua"] = bots

    rows = np.flatnonzero(kind == "gibberish_name")
    first, last = _gibberish_names(rng, len(rows)), _gibberish_names(rng, len(rows))
    leads.loc[rows, "first_name"], leads.loc[rows, "last_name"] = first, last
    leads.loc[rows, "email"] = [
        f"{f.lower()}{n}@{d}" for f, n, d in
        zip(first, rng.integers(10, 1000, len(rows)), _choice(rng, FREE_MAIL_DOMAINS, len(rows)))]
    leads.loc[rows, "job_title"] = ""

    rows = np.flatnonzero(kind == "test_entry")
    entries = [TEST_ENTRIES[i] for i in rng.integers(0, len(TEST_ENTRIES), len(rows))]
    domains = leads["domain"].to_numpy()[rows]
    leads.loc[rows, "first_name"] = [e[0] for e in entries]
    leads.loc[rows, "last_name"] = [e[1] for e in entries]
    leads.loc[rows, "email"] = [f"{e[2]}@{e[3] or d}" for e, d in zip(entries, domains)]

    rows = np.flatnonzero(kind == "honeypot_filled")
    leads.loc[rows, "honeypot"] = _pick(rng, HONEYPOT_VALUES, len(rows))

    rows = np.flatnonzero(kind == "fast_form")
    leads.loc[rows, "form_seconds"] = rng.integers(1, 3, len(rows)).astype(str)

    rows = np.flatnonzero(kind == "ip_burst")
    burst_ids, position = np.unique(burst[rows], return_inverse=True)
    addresses = _random_ips(rng, len(burst_ids))
    browsers = _choice(rng, BROWSER_USER_AGENTS, len(burst_ids))
    leads.loc[rows, "ip_address"] = addresses[position]
    leads.loc[rows, "device_ip"] = addresses[position]
    leads.loc[rows, "user_agent"] = browsers[position]
    leads.loc[rows, "device_ua"] = browsers[position]


def _gibberish_names(rng: np.random.Generator, size: int) -> np.ndarray:
    """Names nobody has: long consonant runs ("Xkqzvbt"), keyboard mashes, repeated letters,
    random letters in random case ("kJhTrEwQ")."""
    style = rng.integers(0, 4, size)
    runs = CONSONANTS[rng.integers(0, len(CONSONANTS), (size, 7))]
    mashes = _pick(rng, KEYBOARD_MASHES, size)
    letters = np.array(list("aeioubdkmst"))[rng.integers(0, 11, size)]
    # What form bots type most: random letters in random case, vowels and all ("kJhTrEwQ").
    randoms = np.array(list("abcdefghijklmnopqrstuvwxyz"))[rng.integers(0, 26, (size, 8))]
    return np.array([
        "".join(run).capitalize() if s == 0 else mash if s == 1 else (letter * 5).capitalize()
        if s == 2 else "".join(c.upper() if i % 2 else c for i, c in enumerate(random))
        for s, run, mash, letter, random in zip(style, runs, mashes, letters, randoms)
    ], dtype=object)


def _plant_malformations(rng: np.random.Generator, leads: pd.DataFrame) -> None:
    """Break each malformed row the way its malformed_kind names."""
    kind = leads["malformed_kind"].to_numpy()
    rows = np.flatnonzero(kind == "bad_created_at")
    leads.loc[rows, "created_at"] = _pick(rng, BAD_CREATED_AT, len(rows))
    # Nothing that says who the person is: a name alone is no identity (a name with a company
    # or city is, and validation keeps it).
    rows = np.flatnonzero(kind == "no_contact")
    leads.loc[rows, "email"] = ""
    leads.loc[rows, "has_phone"] = False
    leads.loc[rows, "company"] = ""
    leads.loc[rows, "city"] = ""
    rows = np.flatnonzero(kind == "bad_employee_count")
    leads.loc[rows, "employee_count"] = _pick(rng, BAD_EMPLOYEE_COUNTS, len(rows))
    # missing_source_lead_id is left out when ids are assigned.


def _mark_hard_cases(rng: np.random.Generator, leads: pd.DataFrame,
                     instant_share: float = INSTANT_AUTOFILL_SHARE) -> None:
    """Flag legitimate rows that look suspicious: short names, gmail, fast returning visitors.
    Rows already carrying a hard_case (planted look-alikes) keep it."""
    role = leads["role"].to_numpy()
    hard = leads["hard_case"].to_numpy().copy()
    first_row = role == "new"
    unmarked = first_row & (hard == "")
    hard[unmarked & leads["email"].str.endswith("@gmail.com").to_numpy()] = "gmail"
    hard[unmarked & leads["short_name"].to_numpy()] = "short_name"
    # A returning visitor's browser autofills the form in a few seconds.
    returning = np.flatnonzero((role == "duplicate") & (leads["form_seconds"] != "").to_numpy())
    fast = returning[rng.random(len(returning)) < FAST_AUTOFILL_SHARE]
    hard[fast] = "fast_autofill_returning"
    leads.loc[fast, "form_seconds"] = rng.integers(3, 6, len(fast)).astype(str)
    # Back on a later day, the browser fills the whole form in a second or two: as fast as a
    # bot, so only the warehouse (it knows the address) can tell the two apart.
    day = leads["day"].to_numpy()
    later_day = fast[day[leads["person"].to_numpy()[fast]] < day[fast]]
    instant = later_day[rng.random(len(later_day)) < instant_share]
    leads.loc[instant, "form_seconds"] = rng.integers(1, 3, len(instant)).astype(str)
    # The browser's autofill also fills the hidden honeypot field, with the person's own details.
    web = np.flatnonzero(first_row & (hard == "") & (leads["form_seconds"] != "").to_numpy())
    filled = web[rng.random(len(web)) < HONEYPOT_AUTOFILL_SHARE]
    own = np.where(rng.random(len(filled)) < 0.5, leads["email"].to_numpy()[filled],
                   leads["company"].to_numpy()[filled])
    leads.loc[filled, "honeypot"] = own
    hard[filled] = "honeypot_autofill"
    leads["hard_case"] = hard
    leads.loc[hard != "", "junk_kind"] = "clean"


def _assign_lead_ids(leads: pd.DataFrame) -> None:
    """Number lead ids per source system in file order ("hs-0000123")."""
    ids = np.full(len(leads), "", dtype=object)
    system = leads["source_system"].to_numpy()
    numbered = leads["malformed_kind"].to_numpy() != "missing_source_lead_id"
    for name, prefix in LEAD_ID_PREFIXES.items():
        rows = np.flatnonzero((system == name) & numbered)
        ids[rows] = [f"{prefix}-{k:07d}" for k in range(1, len(rows) + 1)]
    leads["source_lead_id"] = ids


# --- activities and outcomes ------------------------------------------------------------------


def _make_activities(rng: np.random.Generator, start: date, leads: pd.DataFrame,
                     days: int, per_lead: float | None = None) -> pd.DataFrame:
    """Every activity of every identifiable lead, in file order, with hidden day and truth; with
    `per_lead`, rates scaled so that the last day expects that many activities per lead row."""
    role = leads["role"].to_numpy()
    tracked = np.flatnonzero((role != "malformed") & (leads["source_lead_id"] != "").to_numpy())
    junk_kind = leads["junk_kind"].to_numpy()[tracked]
    propensity = leads["propensity"].to_numpy()[tracked]
    created_day = leads["day"].to_numpy()[tracked]
    created_second = leads["second"].to_numpy()[tracked]
    bot = junk_kind == "bot_user_agent"
    junk = role[tracked] == "junk"
    # A second record of a person collects part of their activity; scripts click a lot.
    weight = np.select([bot, junk, role[tracked] == "duplicate"], [2.0, 0.3, 0.6], 1.0)
    daily_rate = weight * (0.4 + 3.0 * propensity)
    if per_lead is not None:
        daily_rate = daily_rate * _activity_scale(leads, tracked, created_day, created_second, daily_rate,
                                                  days, per_lead)

    record_parts, day_parts, second_parts = [], [], []
    for offset in range(days):
        alive = np.flatnonzero(created_day + offset < days)
        rate = daily_rate[alive] * 0.6 ** offset  # interest fades after sign-up
        if offset == 0:  # only the part of the first day after the lead arrived
            rate = rate * (SECONDS_PER_DAY - created_second[alive]) / SECONDS_PER_DAY
        record = np.repeat(alive, rng.poisson(rate))
        earliest = created_second[record] + 1 if offset == 0 else np.zeros(len(record), np.int64)
        earliest = np.minimum(earliest, SECONDS_PER_DAY - 1)
        record_parts.append(record)
        day_parts.append(created_day[record] + offset)
        second_parts.append(earliest + (rng.random(len(record)) * (SECONDS_PER_DAY - earliest))
                            .astype(np.int64))
    record = np.concatenate(record_parts)
    day = np.concatenate(day_parts)
    second = np.concatenate(second_parts)
    activity_type = _activity_types(rng, propensity[record], bot[record], junk[record])

    # The submission itself, at the moment the lead was created.
    lead_source = leads["lead_source"].to_numpy()[tracked]
    creation = np.flatnonzero(np.isin(lead_source, list(CREATION_ACTIVITY)))
    creation_type = np.array([CREATION_ACTIVITY[s] for s in lead_source[creation]], dtype=object)
    # Demo and contact-sales forms are web forms too; the keen fill those in.
    asks = (lead_source[creation] == "web_form") & ~junk[creation] & (
        rng.random(len(creation)) < 0.6 * propensity[creation])
    creation_type[asks] = np.where(rng.random(int(asks.sum())) < 0.6, "demo_request",
                                   "contact_request")
    record = np.concatenate([record, creation])
    day = np.concatenate([day, created_day[creation]])
    second = np.concatenate([second, created_second[creation]])
    activity_type = np.concatenate([activity_type, creation_type])

    order = np.lexsort((record, second, day))
    day, second, activity_type = day[order], second[order], activity_type[order]
    row = tracked[record[order]]
    n = len(row)
    activities = pd.DataFrame({
        "day": day,
        "source_system": leads["source_system"].to_numpy()[row],
        "source_lead_id": leads["source_lead_id"].to_numpy()[row],
        "occurred_at": _timestamps(start, day, second),
        "activity_type": activity_type,
    })
    activities["asset"] = _pick_by_key(rng, activity_type, ASSETS)
    with_campaign = np.isin(activity_type, list(CAMPAIGN_ACTIVITY_TYPES))
    activities["campaign"] = np.where(with_campaign, leads["campaign"].to_numpy()[row], "")
    browser = ~np.isin(activity_type, list(NO_BROWSER_ACTIVITY_TYPES))
    activities["ip_address"] = np.where(browser, leads["device_ip"].to_numpy()[row], "")
    activities["user_agent"] = np.where(browser, leads["device_ua"].to_numpy()[row], "")
    ids = np.empty(n, dtype=object)
    for name, prefix in LEAD_ID_PREFIXES.items():
        rows = np.flatnonzero(activities["source_system"].to_numpy() == name)
        ids[rows] = [f"{prefix}-act-{k:08d}" for k in range(1, len(rows) + 1)]
    activities["activity_id"] = ids
    activities["run_date"] = _day_dates(start, int(day.max(initial=0)) + 1)[day]
    _plant_malformed_activities(rng, activities)
    return activities


def _activity_scale(leads: pd.DataFrame, tracked: np.ndarray, created_day: np.ndarray,
                    created_second: np.ndarray, daily_rate: np.ndarray, days: int, per_lead: float) -> float:
    """The factor on every daily rate that makes the last day's expected activities (the drawn
    ones plus one submission per lead created that day) `per_lead` times the day's lead rows."""
    offset = days - 1 - created_day
    expected = daily_rate * 0.6 ** offset
    expected = np.where(offset == 0, expected * (SECONDS_PER_DAY - created_second) / SECONDS_PER_DAY, expected)
    last_day_rows = int((leads["day"].to_numpy() == days - 1).sum())
    submissions = int(np.isin(leads["lead_source"].to_numpy()[tracked][offset == 0], list(CREATION_ACTIVITY)).sum())
    drawn = float(expected.sum())
    return max(per_lead * last_day_rows - submissions, 0.0) / drawn if drawn else 1.0


def _activity_types(rng: np.random.Generator, propensity: np.ndarray, bot: np.ndarray,
                    junk: np.ndarray) -> np.ndarray:
    """What each activity was: high-intent more often for likely buyers, opt-outs for unlikely."""
    n = len(propensity)
    types = _choice(rng, LOW_INTENT_TYPES, n)
    high = rng.random(n) < 0.05 + 0.55 * propensity
    types[high] = _choice(rng, HIGH_INTENT_TYPES, int(high.sum()))
    negative = ~high & (rng.random(n) < 0.04 * (1 - propensity))
    types[negative] = _choice(rng, NEGATIVE_TYPES, int(negative.sum()))
    people_junk = junk & ~bot
    types[people_junk] = _choice(rng, JUNK_ACTIVITY_TYPES, int(people_junk.sum()))
    types[bot] = _choice(rng, BOT_ACTIVITY_TYPES, int(bot.sum()))
    return types


def _plant_malformed_activities(rng: np.random.Generator, activities: pd.DataFrame) -> None:
    """Corrupt a few activity rows: an activity type nobody defined, or an unreadable time."""
    n = len(activities)
    broken = rng.random(n) < MALFORMED_ACTIVITY_SHARE
    kind = np.where(rng.random(n) < 0.5, "unknown_activity_type", "bad_occurred_at")
    kind = np.where(broken, kind, "")
    rows = np.flatnonzero(kind == "unknown_activity_type")
    activities.loc[rows, "activity_type"] = _pick(rng, UNKNOWN_ACTIVITY_TYPES, len(rows))
    rows = np.flatnonzero(kind == "bad_occurred_at")
    activities.loc[rows, "occurred_at"] = _pick(rng, BAD_OCCURRED_AT, len(rows))
    activities["malformed_kind"] = kind


def _make_outcomes(rng: np.random.Generator, start: date, leads: pd.DataFrame,
                   days: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Sales status changes of people's first rows within the generated days, and which
    person rows reached "won"."""
    people = np.flatnonzero((leads["role"] == "new").to_numpy())
    p = leads["propensity"].to_numpy()[people]
    created = leads["day"].to_numpy()[people]
    n = len(people)
    reviewed = rng.random(n) < 0.85 * p ** 1.3
    review_day = created + rng.integers(1, 5, n)
    accepted = rng.random(n) < 0.35 + 0.6 * p
    opportunity = reviewed & accepted & (rng.random(n) < 0.25 + 0.6 * p)
    opportunity_day = review_day + rng.integers(1, 6, n)
    won = opportunity & (rng.random(n) < 0.15 + 0.7 * p)
    close_day = opportunity_day + rng.integers(2, 12, n)
    reject_reason = _pick(rng, REJECT_REASONS, n)
    loss_reason = _pick(rng, LOSS_REASONS, n)

    steps = [
        (reviewed, review_day, np.where(accepted, "sales_accepted", "sales_rejected"),
         np.where(accepted, "", reject_reason)),
        (opportunity, opportunity_day, np.full(n, "opportunity", dtype=object),
         np.full(n, "", dtype=object)),
        (opportunity, close_day, np.where(won, "won", "lost"), np.where(won, "", loss_reason)),
    ]
    parts = []
    for happened, day, status, reason in steps:
        rows = np.flatnonzero(happened & (day < days))
        parts.append(pd.DataFrame({"row": people[rows], "day": day[rows],
                                   "second": rng.integers(8 * 3_600, 20 * 3_600, len(rows)),
                                   "status": status[rows], "reason": reason[rows]}))
    outcomes = pd.concat(parts, ignore_index=True)
    outcomes = outcomes.iloc[np.lexsort((outcomes["row"].to_numpy(), outcomes["second"].to_numpy(),
                                         outcomes["day"].to_numpy()))].reset_index(drop=True)
    outcomes["source_system"] = leads["source_system"].to_numpy()[outcomes["row"].to_numpy()]
    outcomes["source_lead_id"] = leads["source_lead_id"].to_numpy()[outcomes["row"].to_numpy()]
    outcomes["occurred_at"] = _timestamps(start, outcomes["day"].to_numpy(),
                                          outcomes["second"].to_numpy())
    converted = outcomes.loc[outcomes["status"] == "won", "row"].to_numpy()
    return outcomes, converted


# --- ground truth ---------------------------------------------------------------------------


def _ground_truth(start: date, leads: pd.DataFrame, converted: np.ndarray) -> pd.DataFrame:
    """One row per lead row written: who the person is and what was planted in the row."""
    day = leads["day"].to_numpy()
    role = leads["role"].to_numpy()
    person = leads["person"].to_numpy()
    day_first_row = np.searchsorted(day, day, "left")
    dates = _day_dates(start, int(day.max()) + 1)

    def flag(values: np.ndarray) -> np.ndarray:
        return np.where(values, "true", "false")

    return pd.DataFrame({
        "run_date": dates[day],
        "row_number": np.arange(len(leads)) - day_first_row,
        "source_system": leads["source_system"],
        "source_lead_id": leads["source_lead_id"],
        "person_id": [f"P{p:07d}" for p in person],
        "is_duplicate": flag(role == "duplicate"),
        "dup_kind": leads["dup_kind"],
        "is_junk": flag(role == "junk"),
        "junk_kind": leads["junk_kind"],
        "is_malformed": flag(role == "malformed"),
        "malformed_kind": leads["malformed_kind"],
        "hard_case": leads["hard_case"],
        "propensity": [f"{p:.4f}" for p in leads["propensity"].to_numpy()],
        "converted": flag(np.isin(person, converted)),
    }, columns=list(GROUND_TRUTH_COLUMNS))
