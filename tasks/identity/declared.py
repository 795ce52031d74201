"""Columns a deployment compares and blocks on beyond the built-in match fields (`match_columns` in
config/dedupe.yaml): any lead contract column or custom attribute (a date of birth, a street, a
postcode, a job title), normalised like the match fields, stored per source record in
lead_identities.match_extra (a JSON object) so that later records are compared with them."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from tasks.identity.comparisons import MAX_COMPARED
from tasks.intake.contract import custom_column
from tasks.scoring.model import Strict
from tasks.screening.normalize import name_key, per_distinct


class MatchColumn(Strict):
    """A declared match column: `source`, a lead contract column or a custom attribute (an extract
    column outside the contract, by its own name), read as `normalise` says: `text` (trimmed, lower
    case, runs of spaces as one), `name` (folded as names are: "Müller-Lüdenscheidt" as
    "muller ludenscheidt"), or `date` (read with `date_format`, written YYYY-MM-DD; a value that
    is no date is kept as text, so a `date` comparison still compares it as text)."""

    source: str = Field(min_length=1)
    normalise: Literal["text", "name", "date"] = "text"
    date_format: str = "ISO8601"


def _text(value: str) -> str | None:
    return " ".join(str(value).split()).lower() or None


def declared_fields(frame: pd.DataFrame, columns: dict[str, MatchColumn]) -> pd.DataFrame:
    """The declared match columns of lead rows, normalised (None where missing; a custom attribute
    the day's files lack is missing throughout); each distinct value worked out once."""
    out = pd.DataFrame(index=frame.index)
    for name, column in columns.items():
        source = column.source if column.source in frame.columns else custom_column(column.source)
        if source not in frame.columns:
            out[name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            continue
        values = frame[source].astype(object).where(frame[source].notna(), None)
        if column.normalise == "date":
            text = per_distinct(values, _text)
            distinct = pd.Series(pd.unique(text.dropna()), dtype=object)
            read = pd.to_datetime(distinct, format=column.date_format, errors="coerce")
            dates = dict(zip(distinct, np.where(read.isna(), distinct, read.dt.strftime("%Y-%m-%d"))))
            normal = text.map(dates)
        else:
            normal = per_distinct(values, name_key if column.normalise == "name" else _text)
        normal = normal.astype(object).where(normal.notna() & ~(normal.str.len() > MAX_COMPARED), None)
        out[name] = normal
    return out


def stored_extra(fields: pd.DataFrame, names: list[str]) -> np.ndarray:
    """lead_identities.match_extra of records: a JSON object of their declared values (sorted by
    name, missing ones left out); None where a record has none."""
    if not names:
        return np.full(len(fields), None, dtype=object)
    columns = [fields[name].to_numpy(dtype=object) for name in names]
    out = []
    for values in zip(*columns):
        present = {name: value for name, value in zip(names, values) if value is not None}
        out.append(json.dumps(present, sort_keys=True, ensure_ascii=False) if present else None)
    return np.array(out, dtype=object)


def read_extra(stored: pd.Series | None, names: list[str], index: pd.Index) -> pd.DataFrame:
    """The declared columns `names` of stored records (their match_extra), None where missing: a
    column declared after a record was stored is missing on it."""
    out = pd.DataFrame(index=index)
    if not names:
        return out
    parsed = [None] * len(index) if stored is None else \
        per_distinct(pd.Series(stored.to_numpy(dtype=object), index=index), json.loads).tolist()
    for name in names:
        out[name] = pd.Series([values.get(name) if isinstance(values, dict) else None for values in parsed],
                              index=index, dtype=object)
    return out
