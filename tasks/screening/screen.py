"""Screening: split each extract into rows that go on and rows kept aside with their reasons
(quarantined by validation, rejected as junk), keeping every set-aside row as it arrived."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from tasks.intake.contract import ACTIVITY_COLUMNS, LEAD_COLUMNS, OUTCOME_COLUMNS, custom_column, custom_name
from tasks.privacy.erasure import NO_LEDGER, Ledger, raw_email_keys, raw_phones, source_keys
from tasks.intake.extract import RAW_LINE, with_contract_columns
from tasks.screening.fraud import RELEASED, RETURNING, FraudRules, flag_bot_activities, judge_leads
from tasks.screening.normalize import normalise_leads, parse_timestamps
from tasks.intake.validate import ValidationReport

REJECTED_COLUMNS = ["run_date", "row_number", "disposition", "source_system", "source_lead_id", "reasons", "raw"]
QUARANTINED_COLUMNS = ["run_date", "file", "row_number", "reasons", "raw"]


@dataclass(frozen=True)
class ScreenedLeads:
    survivors: pd.DataFrame  # normalised lead rows that go on to deduplication, with row_number
    set_aside: pd.DataFrame  # rejected_leads rows: quarantined and rejected
    overridden: pd.DataFrame  # survivors that tripped a rule: row_number, override, reasons
    # survivors a `policy: flag` rule marked: row_number, flags (";"-joined codes)
    flagged: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row_number", "flags"]))

    def override_counts(self) -> dict[str, int]:
        """run_counts metrics of the fraud stage: leads let through by the allow list or a
        release, in all and per reason code they tripped; leads kept with a flag, per code."""
        counts = {f"passed:{kind}": int(n) for kind, n in self.overridden["override"].value_counts().items()}
        reasons = self.overridden["reasons"].str.split(";").explode().value_counts()
        flags = self.flagged["flags"].str.split(";").explode().value_counts()
        return counts | {f"overridden:{code}": int(n) for code, n in reasons.items()} | {
            f"flagged:{code}": int(n) for code, n in flags.items()}


def raw_json(frame: pd.DataFrame) -> pd.Series:
    """Each row as it arrived, as JSON text: the file's own columns under their own names, or
    {"line": text} for a row that could not be split into the header's fields."""
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    names = [custom_name(c) or c for c in columns]
    lines = frame[RAW_LINE] if RAW_LINE in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    return pd.Series(
        [json.dumps({"line": line} if isinstance(line, str) else dict(zip(names, values)), ensure_ascii=False)
         for line, values in zip(lines, frame[columns].itertuples(index=False, name=None))],
        index=frame.index, dtype=object,
    )


def screen_leads(leads: pd.DataFrame, report: ValidationReport, rules: FraudRules, run_date: date,
                 known: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                 ledger: Ledger = NO_LEDGER) -> ScreenedLeads:
    """Drop the rows of erased people (`ledger`), quarantine the rows validation failed, reject junk
    with every reason that fired, pass the rest.

    `known`, given the normalised rows, returns them with what the warehouse knows about them
    (the `fraud.RETURNING` and `fraud.RELEASED` columns; see tasks.screening.review.mark_known).
    """
    frame = leads.assign(row_number=range(len(leads)))
    quarantined = frame.index.isin(report.quarantined.index)
    candidates = normalise_leads(with_contract_columns(frame[~quarantined], LEAD_COLUMNS))
    erased = np.zeros(len(frame), dtype=bool)
    if ledger:
        sources = source_keys(frame)
        emails = candidates["email_key"].where(candidates["email_key"].notna(), raw_email_keys(candidates["email"]))
        erased[~quarantined] = ledger.erased_leads(emails, candidates["phone_e164"],
                                                   sources[~quarantined])
        held = with_contract_columns(frame[quarantined], LEAD_COLUMNS)
        erased[quarantined] = ledger.erased_leads(raw_email_keys(held["email"]),
                                                  raw_phones(held["phone"], held["country"]), sources[quarantined])
        erased |= _erased_in_unsplit_rows(frame, ledger)
        candidates = candidates[~erased[~quarantined]]
        quarantined &= ~erased
    if known is not None:
        candidates = known(candidates)
    verdict = judge_leads(candidates, rules)
    junk = verdict.reasons
    rejected = candidates[junk != ""]
    set_aside = pd.concat([
        _erased(frame.loc[erased, "row_number"], run_date),
        _set_aside(frame[quarantined], "quarantined", report.quarantined["reasons"], run_date),
        _set_aside(leads.loc[rejected.index].assign(row_number=rejected["row_number"]),
                   "rejected", junk[junk != ""], run_date),
    ], ignore_index=True)
    passed = verdict.override != ""
    overridden = pd.DataFrame({"row_number": candidates.loc[passed, "row_number"],
                               "override": verdict.override[passed], "reasons": verdict.overridden[passed]},
                              columns=["row_number", "override", "reasons"]).reset_index(drop=True)
    made = [c for c in (RETURNING, RELEASED) if c in candidates.columns]
    flagged = verdict.flagged != ""
    survivors = set_aside_invalid_emails(candidates, verdict.flagged)
    return ScreenedLeads(survivors=survivors.loc[junk == ""].drop(columns=made).reset_index(drop=True),
                         set_aside=set_aside.sort_values("row_number", ignore_index=True),
                         overridden=overridden,
                         flagged=pd.DataFrame({"row_number": candidates.loc[flagged, "row_number"],
                                               "flags": verdict.flagged[flagged]},
                                              columns=["row_number", "flags"]).reset_index(drop=True))


INVALID_EMAIL = custom_column("invalid_email")  # where a kept lead's malformed address stays


def set_aside_invalid_emails(leads: pd.DataFrame, flags: pd.Series) -> pd.DataFrame:
    """Leads whose address the invalid_email rule flagged, without it as an address: no email,
    email key or domain (so it is never a match key nor a channel, and the lead is not emailed),
    the address as typed kept as the custom attribute `invalid_email`."""
    invalid = flags.str.split(";").map(lambda codes: "invalid_email" in codes).to_numpy(dtype=bool)
    if not invalid.any():
        return leads
    out = leads.copy()
    out[INVALID_EMAIL] = out["email"].where(invalid, out[INVALID_EMAIL] if INVALID_EMAIL in out.columns else None)
    for column in ("email", "email_key", "email_domain"):
        out[column] = out[column].astype(object).where(~invalid, None)
    return out


def _erased_in_unsplit_rows(frame: pd.DataFrame, ledger: Ledger) -> np.ndarray:
    """Rows whose text could not be split into the header's fields (RAW_LINE) and that hold an
    erased person's email or phone in any field: their values are in no column to match on."""
    found = np.zeros(len(frame), dtype=bool)
    if RAW_LINE not in frame.columns:
        return found
    for position in np.flatnonzero(frame[RAW_LINE].notna().to_numpy()):  # a few broken rows only
        fields = pd.Series(next(csv.reader([frame[RAW_LINE].iloc[position]]), []), dtype=object)
        nothing = pd.Series(None, index=fields.index, dtype=object)
        found[position] = ledger.erased_leads(raw_email_keys(fields), raw_phones(fields, nothing), nothing).any()
    return found


def _erased(row_numbers: pd.Series, run_date: date) -> pd.DataFrame:
    """Set-aside rows of erased people: their place in the counts, nothing of what they held."""
    return pd.DataFrame({"run_date": run_date.isoformat(), "row_number": row_numbers.astype("int64"),
                         "disposition": "erased", "source_system": None, "source_lead_id": None,
                         "reasons": "erased", "raw": "{}"}, columns=REJECTED_COLUMNS)


def _set_aside(rows: pd.DataFrame, disposition: str, reasons: pd.Series, run_date: date) -> pd.DataFrame:
    return pd.DataFrame({
        "run_date": run_date.isoformat(),
        "row_number": rows["row_number"].astype("int64"),
        "disposition": disposition,
        "source_system": rows.get("source_system"),
        "source_lead_id": rows.get("source_lead_id"),
        "reasons": reasons.reindex(rows.index).astype(str),
        "raw": raw_json(rows.drop(columns="row_number")),
    }, columns=REJECTED_COLUMNS)


def screen_rows(
    frame: pd.DataFrame | None, report: ValidationReport | None, file: str, run_date: date,
    ledger: Ledger = NO_LEDGER,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activities or outcomes: (rows that go on, with typed occurred_at; quarantined_rows rows).
    Rows of erased people (`ledger`, by source record) are dropped, kept nowhere."""
    columns = ACTIVITY_COLUMNS if file == "activities" else OUTCOME_COLUMNS
    if frame is None:
        return pd.DataFrame(columns=[*columns, "row_number"]), pd.DataFrame(columns=QUARANTINED_COLUMNS)
    frame = frame.assign(row_number=range(len(frame)))
    if ledger:
        frame = frame[~ledger.erased("source_record", source_keys(frame))]
    bad = frame.index.isin(report.quarantined.index) if report is not None else frame.index.isin([])
    quarantined = pd.DataFrame({
        "run_date": run_date.isoformat(), "file": file, "row_number": frame.loc[bad, "row_number"],
        "reasons": report.quarantined["reasons"].reindex(frame.index[bad]).astype(str) if report is not None else "",
        "raw": raw_json(frame[bad].drop(columns="row_number")),
    }, columns=QUARANTINED_COLUMNS)
    good = with_contract_columns(frame[~bad], columns).copy()
    good["occurred_at"] = parse_timestamps(good["occurred_at"])
    if file == "activities":  # the optional measure, validated as a non-negative number when given
        good["value"] = pd.to_numeric(good["value"], errors="coerce").astype(float)
    return good.reset_index(drop=True), quarantined.reset_index(drop=True)


def flag_bots(activities: pd.DataFrame, rules: FraudRules) -> pd.DataFrame:
    """Activities with `bot_reason` set where the bot rules fire (None otherwise)."""
    reasons = flag_bot_activities(activities, rules) if len(activities) else pd.Series(dtype=object)
    return activities.assign(bot_reason=reasons.where(reasons != "", None) if len(activities) else None)
