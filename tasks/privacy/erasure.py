"""Erasure on request (GDPR, CCPA): remove a person's data from every table, keep the aggregates
under an anonymous id, and keep keyed-hash tombstones of what they were known by (normalised
emails, E.164 phones, source records) in `erasure_ledger`, so that screening drops their rows in
every later run and in every re-run of a date whose extracts still hold them."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from tasks.errors import MqlError
from tasks.privacy.hash_keys import HashKeys
from tasks.identity.blocking import HashKey
from tasks.screening.normalize import email_key, per_distinct, phone_e164
from tasks.warehouse.connection import execute, query, run_script

KINDS = ("email", "phone", "source_record")
SEP = "\x1f"  # joins source system and id, as tasks.identity.assignment does


def tombstones(kind: str, values: pd.Series | np.ndarray, key: HashKey) -> np.ndarray:
    """Keyed 64-bit hashes of exact values of one kind (SipHash under `key`, in C, each distinct value once)."""
    text = pd.Series(np.asarray(values, dtype=object), dtype=object)
    codes, distinct = pd.factorize(text)
    hashed = pd.util.hash_array(np.array([f"{kind}{SEP}{v}" for v in distinct], dtype=object),
                                categorize=False, hash_key=key.sip).view(np.int64)
    return hashed[codes]


@dataclass(frozen=True)
class Ledger:
    """The erasure tombstones and the keys they were made under: finds the rows of erased people."""

    tombstones: pd.DataFrame  # kind, tombstone, key_fingerprint
    keys: HashKeys

    def __bool__(self) -> bool:
        return not self.tombstones.empty

    def erased(self, kind: str, values: pd.Series) -> np.ndarray:
        """Per value (None where missing), whether it is a tombstone of `kind`."""
        found = np.zeros(len(values), dtype=bool)
        present = values.notna().to_numpy()
        if not self or not present.any():
            return found
        mine = self.tombstones[self.tombstones["kind"] == kind]
        for key in self.keys.all():
            stones = mine.loc[mine["key_fingerprint"] == key.fingerprint, "tombstone"].to_numpy(dtype=np.int64)
            if len(stones):
                found[present] |= np.isin(tombstones(kind, values[present].to_numpy(dtype=object), key), stones)
        return found

    def erased_leads(self, email_keys: pd.Series, phones: pd.Series, sources: pd.Series) -> np.ndarray:
        """Lead rows of erased people, by normalised email, E.164 phone or source record."""
        return (self.erased("email", email_keys) | self.erased("phone", phones)
                | self.erased("source_record", sources))


NO_LEDGER = Ledger(pd.DataFrame({"kind": [], "tombstone": [], "key_fingerprint": []}),
                   HashKeys(HashKey.derive("no tombstones, nothing is hashed")))


def load_ledger(conn: Connection, keys: HashKeys) -> Ledger:
    stones = query(conn, "erasure_tombstones")
    if len(stones):
        stones["tombstone"] = stones["tombstone"].astype(np.int64)
    return Ledger(stones, keys)


def source_keys(frame: pd.DataFrame) -> pd.Series:
    """Source system and id joined (None where either is missing), as tombstones take them."""
    system, record = frame.get("source_system"), frame.get("source_lead_id")
    if system is None or record is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    joined = system.astype(object).astype(str) + SEP + record.astype(object).astype(str)
    return joined.where(system.notna() & record.notna(), None).astype(object)


def raw_email_keys(emails: pd.Series) -> pd.Series:
    """Email keys of addresses as typed; a malformed one (kept aside by screening, erasable by
    `mql erase --email`) as `invalid_email_key` makes it."""
    return per_distinct(emails.where(emails.map(lambda v: isinstance(v, str) and bool(v.strip())), None),
                        invalid_email_key)


def raw_phones(phones: pd.Series, countries: pd.Series) -> pd.Series:
    pairs = pd.Series([(p, c if isinstance(c, str) else None) if isinstance(p, str) else None
                       for p, c in zip(phones, countries)], index=phones.index, dtype=object)
    return per_distinct(pairs, phone_e164)


# --- erase ---------------------------------------------------------------------------------------


@dataclass
class Person:
    """What the warehouse knows a person by: leads, source records, emails, phones, names."""

    lead_ids: list[str]
    records: set[tuple[str, str]]
    emails: set[str]
    phones: set[str]
    names: set[str]


def erase(conn: Connection, keys: HashKeys, erased_by: str, reason: str, erased_at: datetime,
          email: str | None = None, phone: str | None = None, lead_id: str | None = None) -> dict[str, int | str]:
    """Erase the person found by exactly one of `email`, `phone`, `lead_id` (one-line errors for none,
    several, an unknown person, or an email or phone several leads hold). Run in one transaction,
    under the warehouse's run lock. Returns what was removed."""
    given = {name: value for name, value in (("--email", email), ("--phone", phone), ("--lead", lead_id))
             if value is not None and value.strip()}
    if len(given) != 1:
        raise MqlError("erase needs exactly one of --email, --phone, --lead"
                       + (f" (got {', '.join(given)})" if given else ""))
    if not erased_by.strip() or not reason.strip():
        raise MqlError("an erasure needs who (--by) and why (--reason)")
    person = _find(conn, email, phone, lead_id)
    set_aside = _set_aside_rows(conn, person)  # may add records and phones the rows name
    if not person.lead_ids and set_aside.empty:
        raise MqlError(f"{next(iter(given))} {next(iter(given.values()))}: no such person in the warehouse "
                       "(no lead, no rejected or quarantined row)")
    said = f"{erased_by} {reason}".lower()
    if any(value.lower() in said for value in person.emails | person.phones) or any(
            re.search(r"\b" + re.escape(name.lower()) + r"\b", said) for name in person.names if len(name) > 2):
        raise MqlError("--by and --reason are kept in the erasure ledger: they must not name the person")

    counts: dict[str, int | str] = {"leads": len(person.lead_ids)}
    for lead in person.lead_ids:
        run_script(conn, "erase_lead", {"lead_id": lead, "anonymous_id": f"erased-{uuid.uuid4()}"})
    for system, record in sorted(person.records):
        run_script(conn, "erase_record", {"source_system": system, "source_lead_id": record})
    for row in set_aside.itertuples(index=False):
        if row.file == "leads":
            execute(conn, "erase_rejected_row", {"run_date": row.run_date, "row_number": row.row_number})
        else:
            execute(conn, "erase_quarantined_row", {"run_date": row.run_date, "file": row.file,
                                                    "row_number": row.row_number})
    counts["source_records"] = len(person.records)
    counts["set_aside_rows"] = len(set_aside)

    erasure_id = str(uuid.uuid4())
    values = {"email": sorted(person.emails), "phone": sorted(person.phones),
              "source_record": sorted(f"{s}{SEP}{r}" for s, r in person.records)}
    for kind in KINDS:
        for stone in sorted(set(tombstones(kind, np.array(values[kind], dtype=object), keys.current).tolist())):
            execute(conn, "insert_erasure", {
                "erasure_id": erasure_id, "kind": kind, "tombstone": int(stone),
                "key_fingerprint": keys.current.fingerprint, "erased_by": erased_by.strip(),
                "erased_at": erased_at, "reason": reason.strip()})
    counts["tombstones"] = sum(len(set(v)) for v in values.values())
    counts["erasure_id"] = erasure_id
    return counts


def _find(conn: Connection, email: str | None, phone: str | None, lead_id: str | None) -> Person:
    wanted_email = email_key(email) if email else None
    if email and wanted_email is None and not email.strip():
        raise MqlError(f"--email: {email!r} is not an email address")
    wanted_phone = phone_e164((phone, None)) if phone else None
    if phone and wanted_phone is None:
        raise MqlError(f"--phone: {phone!r} is not a phone number in international form (+<country code> <number>)")
    leads = query(conn, "erase_find_leads", {"email": wanted_email, "phone": wanted_phone,
                                             "lead_id": lead_id.strip() if lead_id else None})
    lead_ids = set(str(v) for v in leads["lead_id"])
    if email:
        lead_ids |= _held_invalid_email(conn, email)
    lead_ids, absorbed = _through_merges(conn, lead_ids)
    what = f"--email {email}" if email else f"--phone {phone}" if phone else f"--lead {lead_id}"
    if len(lead_ids) > 1:
        raise MqlError(f"{what} is ambiguous: {len(lead_ids)} leads hold it ({', '.join(lead_ids[:5])}"
                       f"{', ...' if len(lead_ids) > 5 else ''}); erase each with --lead")
    lead_ids = lead_ids + absorbed  # the absorbed leads' history is the person's too
    person = Person(lead_ids, set(), {wanted_email or email.strip().lower()} - {None} if email else set(),
                    {wanted_phone} - {None}, set())
    for lead in lead_ids:
        values = query(conn, "erase_lead_values", {"lead_id": lead})
        person.emails |= {v for v in values["email_key"] if isinstance(v, str)}
        person.phones |= {v for v in values["phone_e164"] if isinstance(v, str)}
        person.names |= {v.strip() for c in ("first_name", "last_name") for v in values[c] if isinstance(v, str)}
        records = query(conn, "erase_lead_records", {"lead_id": lead})
        person.records |= {(str(s), str(r)) for s, r in zip(records["source_system"], records["source_lead_id"])}
        person.emails |= {v for v in records["match_email"] if isinstance(v, str)}
        person.phones |= {v for v in records["phone_e164"] if isinstance(v, str)}
    if not lead_ids and lead_id:
        raise MqlError(f"--lead {lead_id}: no such lead in the warehouse")
    return person


def _through_merges(conn: Connection, lead_ids: set[str]) -> tuple[list[str], list[str]]:
    """The leads found, each as the lead a lead-to-lead merge absorbed it into (if any), and the
    absorbed leads of those (their history rows still name the person)."""
    moves = query(conn, "erase_absorbed_leads")
    into = dict(zip(moves["from_lead_id"].astype(str), moves["to_lead_id"].astype(str)))

    def final(lead: str) -> str:
        seen = set()
        while lead in into and lead not in seen:
            seen.add(lead)
            lead = into[lead]
        return lead

    survivors = sorted({final(lead) for lead in lead_ids})
    return survivors, sorted(lead for lead in into if final(lead) in survivors)


def invalid_email_key(address: str) -> str:
    """A malformed address as erasure compares it: normalised as an address where it splits into
    one (`x@name@acme.com`), else trimmed and lowercased."""
    return email_key(address) or address.strip().lower()


def _held_invalid_email(conn: Connection, email: str) -> set[str]:
    """Leads that keep `email` as the malformed address screening set aside (custom attribute
    `invalid_email`: the lead has no email, so no email key finds it)."""
    wanted = invalid_email_key(email)
    found = query(conn, "erase_find_invalid_email")
    return {str(lead) for lead, custom in zip(found["lead_id"], found["custom_attributes"])
            if isinstance(kept := _json(custom).get("invalid_email"), str) and invalid_email_key(kept) == wanted}


def _needles(person: Person) -> list[str]:
    """LIKE patterns ('!' escaping) that every raw row holding the person's values matches."""
    def like(text: str) -> str:
        return "%" + text.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"

    needles = set()
    for address in person.emails:
        local, _, domain = address.rpartition("@")
        # A Gmail key drops dots and +tags: look for the domain, then compare keys.
        needles.add(like("@" + domain.split(".")[0] + ".") if domain == "gmail.com" else like(address))
        if domain == "gmail.com":
            needles.add(like("@googlemail."))
    needles |= {like(number[-4:]) for number in person.phones}  # formats differ; the last digits stay
    needles |= {like(record) for _, record in person.records}
    return sorted(needles)


def _set_aside_rows(conn: Connection, person: Person) -> pd.DataFrame:
    """Rejected and quarantined rows holding the person's email, phone or a source record: file
    (leads / activities / outcomes), run_date, row_number. Lead rows found by email or phone add
    their source record and phone to `person`, and are searched for in turn."""
    found: set[tuple[str, object, int]] = set()
    searched: set[str] = set()
    while needles := [n for n in _needles(person) if n not in searched]:
        searched.update(needles)
        for needle in needles:
            for row in query(conn, "erase_find_rejected", {"needle": needle}).itertuples(index=False):
                raw = _json(row.raw)
                record = (str(raw.get("source_system")), str(raw.get("source_lead_id")))
                email_value = email_key(raw["email"]) if isinstance(raw.get("email"), str) else None
                country = raw.get("country") if isinstance(raw.get("country"), str) else None
                phone_value = phone_e164((raw["phone"], country)) if isinstance(raw.get("phone"), str) else None
                if email_value in person.emails or phone_value in person.phones or record in person.records:
                    found.add(("leads", row.run_date, int(row.row_number)))
                    if None not in (raw.get("source_system"), raw.get("source_lead_id")):
                        person.records.add(record)
                    if phone_value:
                        person.phones.add(phone_value)
    for needle in sorted(searched):
        for row in query(conn, "erase_find_quarantined", {"needle": needle}).itertuples(index=False):
            raw = _json(row.raw)
            if (str(raw.get("source_system")), str(raw.get("source_lead_id"))) in person.records:
                found.add((row.file, row.run_date, int(row.row_number)))
    return pd.DataFrame(sorted(found, key=str), columns=["file", "run_date", "row_number"])


def _json(text: object) -> dict:
    try:
        value = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
