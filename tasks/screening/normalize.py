"""Normalisation of contact data into match keys and typed values; each distinct value once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import TypeVar

import numpy as np
import pandas as pd
import phonenumbers
from anyascii import anyascii
from cleanco.clean import prepare_default_terms
from nicknames import NickNamer

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_NOT_LETTERS = re.compile(r"[^a-z ]+")
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
# Titles and generational suffixes that say nothing about who a person is.
NAME_NOISE = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv"})
MAX_NAME = 200  # longer name or company values are cut before normalising (hostile input)
K = TypeVar("K", bound=Hashable)


def per_distinct(values: pd.Series, fn: Callable[[K], object]) -> pd.Series:
    """Apply `fn` once per distinct value (normalisers are costly per call, values repeat)."""
    codes, uniques = pd.factorize(values)  # a missing value's code is -1: the None appended
    mapped = np.fromiter((*(fn(value) for value in uniques), None), dtype=object, count=len(uniques) + 1)
    mapped[pd.isna(mapped)] = None
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def email_key(email: str) -> str | None:
    """Lowercased, trimmed address; for Gmail, dots and +tags dropped and googlemail folded in."""
    email = email.strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return None
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
        if not local:
            return None
    return f"{local}@{domain}"


def phone_e164(phone_and_country: tuple[str, str | None]) -> str | None:
    """E.164 form of a phone number, read in the lead's country unless it carries its own prefix."""
    phone, country = phone_and_country
    region = country.strip().upper() if isinstance(country, str) and _COUNTRY.match(country.strip()) else None
    try:
        number = phonenumbers.parse(phone[:64], region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fold(text: str) -> str:
    """Unicode folded to lowercase ASCII: "Zoë Łukasz" -> "zoe lukasz", "Straße" -> "strasse";
    symbols, emoji and control characters dropped."""
    text = unicodedata.normalize("NFKC", text[:MAX_NAME])
    return anyascii("".join(c for c in text if unicodedata.category(c)[0] not in "SC")).lower()


def name_key(name: str) -> str | None:
    """A person's name as compared: folded, letters only, titles dropped, one space between words."""
    words = _NOT_LETTERS.sub(" ", fold(name).replace("'", "")).split()
    words = [w for w in words if w not in NAME_NOISE]
    return " ".join(words) or None


def _legal_forms() -> dict[int, frozenset[tuple[str, ...]]]:
    """The legal-form suffixes `cleanco` knows ("gmbh & co kg", "inc", "s a"), by word count."""
    forms: dict[int, set[tuple[str, ...]]] = {}
    for count, words in prepare_default_terms():
        forms.setdefault(count, set()).add(tuple(words))
    return {count: frozenset(found) for count, found in sorted(forms.items(), reverse=True)}


LEGAL_FORMS = _legal_forms()
_COMPANY_NOISE = re.compile(r"[^a-z0-9& ]+")


def company_key(company: str) -> str | None:
    """A company name without its legal form, case, accents or punctuation: "ACME, Inc." -> "acme",
    "Müller GmbH & Co. KG" -> "muller"."""
    words = _COMPANY_NOISE.sub(" ", fold(company).replace(".", "")).split()
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for count, forms in LEGAL_FORMS.items():
            if len(words) > count and tuple(words[-count:]) in forms:
                words, stripped = words[:-count], True
                break
    words = ["and" if w == "&" else w for w in words]
    if words[:1] == ["the"] and len(words) > 1:
        words = words[1:]
    return " ".join(words) or None


_NICKNAMES = NickNamer()


@lru_cache(maxsize=65_536)
def name_forms(first: str) -> frozenset[str]:
    """A first name key and the names it is a nickname of or has as nicknames ("bob" ~ "robert")."""
    return frozenset({first} | _NICKNAMES.canonicals_of(first) | _NICKNAMES.nicknames_of(first))


def same_first_name(a: str, b: str) -> bool:
    """One name is the other, a nickname of it, or both are nicknames of one name ("beth" and
    "liz" of "elizabeth"); merely sharing a nickname is not enough ("al" does not make "alan"
    and "albert" one name)."""
    return (a == b or b in name_forms(a) or a in name_forms(b)
            or bool(_NICKNAMES.canonicals_of(a) & _NICKNAMES.canonicals_of(b)))


def parse_bool(value: str, default: bool | None) -> bool | None:
    word = value.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else default


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO-8601 text to UTC timestamps; unparseable values become NaT."""
    return pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")


def parse_numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def normalise_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """Add match keys and typed columns to a frame of lead rows (contract columns as strings)."""
    out = leads.copy()
    out["email_key"] = per_distinct(out["email"], email_key)
    out["email_domain"] = per_distinct(out["email_key"], lambda key: key.rpartition("@")[2])
    pairs = pd.Series(
        [(p, c) if isinstance(p, str) else None for p, c in zip(out["phone"], out["country"])],
        index=out.index, dtype=object,
    )
    out["phone_e164"] = per_distinct(pairs, phone_e164)
    out["created_ts"] = parse_timestamps(out["created_at"])
    updated = parse_timestamps(out["updated_at"])
    out["updated_ts"] = updated.where(updated.notna(), out["created_ts"])
    out["employee_count_num"] = parse_numbers(out["employee_count"])
    out["annual_revenue_num"] = parse_numbers(out["annual_revenue"])
    # Consent flags stay unknown (None) when the source says nothing, so that merging records
    # lets an explicit answer decide; a new lead with no answer has no consent.
    for flag, column in (("consent", "email_consent"), ("dnc", "do_not_contact")):
        out[flag] = out[column].map(lambda v: parse_bool(v, default=None) if isinstance(v, str) else None)
        out[flag] = out[flag].astype(object).where(out[flag].notna(), None)
    return out
