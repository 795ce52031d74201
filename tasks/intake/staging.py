"""Warehouse staging tables as a source: a run date's leads, activities and outcomes read by SQL from
the tables a loader (Fivetran, Airbyte, dlt ...) lands, through a declarative mapping file
(config/sources/*.yaml, validated when loaded).

A mapping names, for each extract of the contract, the source tables it comes from: which source
column gives which contract column (`columns`, or `optional` for a column the table may not have),
source values turned into contract values (`values`: activity types, outcome statuses, consent
flags), fixed values (`constants`), link tables joined for a column the table lacks (`joins`, e.g.
the contact of an engagement), the soft-delete flags (`deleted`, e.g. `_fivetran_deleted`,
`is_deleted`) and the loader's sync timestamp (`synced`, `_fivetran_synced`) that selects the day:
a run date reads the rows synced on that date (UTC). Rows flagged deleted are left out and counted;
the lead records among them are kept aside (`StagingRead.deleted`: which record, table and flag), for
the run to retire the leads none of whose records is live any more (tasks/warehouse/retirement.py).

The read gives the same Extract the file reader gives (frames of strings, None where empty), so
validation and every later stage are unchanged. A missing table or column, or a source value the
mapping does not know, is one line naming the source, the table and the column; nothing is read.
Tables and columns are reflected and quoted by SQLAlchemy, values are bound: no SQL is built from text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, field_validator, model_validator

from tasks.errors import ConfigError, ExtractError
from tasks.intake.contract import ACTIVITY_TYPES, EXTRACT_FILES, OUTCOME_STATUSES
from tasks.scoring.model import Strict, load_yaml_config

PREFIX = "mapping:"  # an extracts location `mapping:<file or name>` reads staging tables
SOURCES_DIR = Path(__file__).resolve().parents[2] / "config" / "sources"
TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y"})
FALSE_WORDS = frozenset({"false", "f", "0", "no", "n", ""})
LEAVE_OUT = ("activity_type", "status")  # a value mapped to null here leaves the row out
# The contract values a value map may give, by contract column (None: any text).
TARGETS: dict[str, tuple[str, ...]] = {
    "activity_type": ACTIVITY_TYPES, "status": OUTCOME_STATUSES,
    "email_consent": ("true", "false"), "do_not_contact": ("true", "false"),
}
# A lead record the loader flagged deleted: which record, from which table, by which flag.
DELETED_COLUMNS = ("source_system", "source_lead_id", "source_table", "flag")


def _text_key(value: Any) -> str:
    """A YAML key or value as the text it stands for (YAML reads `true`, `1` as bool and int)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


class ValueMap(Strict):
    """Source values (compared without case and surrounding spaces) -> contract values; a value
    mapped to null leaves the row out (not a lead's activity or outcome), `""` names an empty value."""

    column: str
    map: dict[str, str | None]
    optional: bool = Field(False, description="Read only when the table has the column.")

    @field_validator("map", mode="before")
    @classmethod
    def _as_text(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        return {_text_key(k): None if v is None else (_text_key(v) if isinstance(v, bool) else str(v))
                for k, v in values.items()}


class Join(Strict):
    """A table joined to the mapped one for columns it lacks (rows without a match are left out)."""

    table: str
    match: dict[str, str] = Field(description="Column of the joined table -> column of the mapped table it equals.")
    deleted: list[str] = Field(default_factory=list, description="Soft-delete flags of the joined table.")

    @field_validator("match")
    @classmethod
    def _not_empty(cls, match: dict[str, str]) -> dict[str, str]:
        if not match:
            raise ValueError("a join needs at least one column pair")
        return match


class TableMapping(Strict):
    """One source table feeding one extract of the contract."""

    table: str
    synced: str = Field("_fivetran_synced", description="The loader's sync timestamp: selects the run date's rows.")
    deleted: list[str] = Field(default_factory=list, description="Soft-delete flags: a row flagged true is left out.")
    joins: list[Join] = Field(default_factory=list)
    columns: dict[str, str] = Field(default_factory=dict, description="Contract column -> source column "
                                                                      "(`<joined table>.<column>` for a joined one).")
    optional: dict[str, str] = Field(default_factory=dict, description="As columns, read only when the table has it.")
    values: dict[str, ValueMap] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)

    @field_validator("constants", mode="before")
    @classmethod
    def _constant_text(cls, constants: Any) -> Any:
        return {k: _text_key(v) if isinstance(v, bool) else str(v) for k, v in constants.items()} \
            if isinstance(constants, dict) else constants

    @model_validator(mode="after")
    def _consistent(self) -> TableMapping:
        given = [*self.columns, *self.optional, *self.values, *self.constants]
        repeated = sorted({c for c in given if given.count(c) > 1})
        if repeated:
            raise ValueError(f"table {self.table}: {', '.join(repeated)} given more than once")
        joined = {j.table for j in self.joins}
        for column in [*self.columns.values(), *self.optional.values(), *(v.column for v in self.values.values())]:
            if "." in column and column.split(".", 1)[0] not in joined:
                raise ValueError(f"table {self.table}: {column} names a table that is not joined")
        for name, mapped in self.values.items():
            if name not in LEAVE_OUT and None in mapped.map.values():
                raise ValueError(f"table {self.table}: values.{name}: only {' and '.join(LEAVE_OUT)} may map a "
                                 "value to null (the row is left out)")
            allowed = TARGETS.get(name)
            bad = sorted({v for v in mapped.map.values() if v is not None and allowed and v not in allowed})
            if bad:
                raise ValueError(f"table {self.table}: values.{name}: {', '.join(bad)} not one of {', '.join(allowed)}")
        for name, value in self.constants.items():
            if TARGETS.get(name) and value not in TARGETS[name]:
                raise ValueError(f"table {self.table}: constants.{name}: {value} not one of {', '.join(TARGETS[name])}")
        return self


class SourceMapping(Strict):
    """Where each extract of the contract comes from in a loader's tables."""

    source: str = Field(description="The leads' source_system, and how errors name the source.")
    leads: list[TableMapping] = Field(min_length=1)
    activities: list[TableMapping] = Field(default_factory=list)
    outcomes: list[TableMapping] = Field(default_factory=list)

    @model_validator(mode="after")
    def _covers_contract(self) -> SourceMapping:
        for stream in EXTRACT_FILES:
            contract, required, _ = EXTRACT_FILES[stream]
            for table in getattr(self, stream):
                given = {*table.columns, *table.optional, *table.values, *table.constants}
                unknown = sorted(given - set(contract))
                if unknown:
                    raise ValueError(f"{stream}: table {table.table}: {', '.join(unknown)} not in the {stream} contract")
                if "source_system" in given:
                    raise ValueError(f"{stream}: table {table.table}: source_system is the mapping's `source`")
                missing = [c for c in required if c != "source_system" and c not in
                           {*table.columns, *table.values, *table.constants}]
                if missing:
                    raise ValueError(f"{stream}: table {table.table}: no column for {', '.join(missing)}")
        return self


@dataclass(frozen=True)
class StagingSource:
    """An extracts location that is a mapping over a database's staging tables."""

    mapping_path: Path
    url: str = field(repr=False)  # SQLAlchemy URL of the database holding the loader's tables
    schema: str | None = None     # their schema (None: the database's default)
    location: str | None = None   # the location as given (`mapping:fivetran_hubspot`)

    @property
    def shown(self) -> str:
        return self.location or PREFIX + str(self.mapping_path)


def is_mapping(location: object) -> bool:
    """Whether an extracts location names a staging-table mapping (`mapping:<file or name>`)."""
    return isinstance(location, StagingSource) or (isinstance(location, str) and location.startswith(PREFIX))


def mapping_path(location: str) -> Path:
    """The file of `mapping:<file or name>`: a bare name is config/sources/<name>.yaml."""
    text = location[len(PREFIX):].strip()
    if not text:
        raise ConfigError(f"{location!r}: name a mapping file after {PREFIX}")
    path = Path(text).expanduser()
    if path.suffix not in (".yaml", ".yml") and path.parent == Path("."):
        return SOURCES_DIR / f"{text}.yaml"
    return path


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate a mapping file; errors name the file and the field."""
    return load_yaml_config(path, SourceMapping, "source mapping")


@dataclass
class _Plan:
    """One table's query: the statement and, per selected label, the source table and column."""

    statement: Any
    labels: dict[str, tuple[str, str]]


def _reflect(conn: sa.Connection, mapping: SourceMapping, name: str, schema: str | None, what: str) -> sa.Table:
    try:
        return sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema)
    except sa.exc.NoSuchTableError:
        where = f" in schema {schema}" if schema else ""
        raise ExtractError(f"{mapping.source}: table {name}{where} does not exist ({what})") from None


def _plan(conn: sa.Connection, mapping: SourceMapping, stream: str, spec: TableMapping, schema: str | None,
          run_date: date) -> _Plan | None:
    """The query of one mapped table for `run_date`; a missing table or column raises ExtractError.
    None: the table lacks an optional activity_type or status column, so it gives that extract no rows
    (e.g. a CRM without the lifecycle property the mapping reads its MQL flag from)."""
    what = f"{stream} mapping"
    tables = {spec.table: _reflect(conn, mapping, spec.table, schema, what)}
    for join in spec.joins:
        tables[join.table] = _reflect(conn, mapping, join.table, schema, what)

    def column(ref: str, purpose: str, required: bool = True) -> sa.Column | None:
        table, name = ref.split(".", 1) if "." in ref else (spec.table, ref)
        if name not in tables[table].c:
            if not required:
                return None
            raise ExtractError(f"{mapping.source}: table {table} has no column {name} ({stream}.{purpose})")
        return tables[table].c[name]

    if any(contract in LEAVE_OUT and mapped.optional and column(mapped.column, contract, required=False) is None
           for contract, mapped in spec.values.items()):
        return None
    labels: dict[str, tuple[str, str]] = {}
    selected: list[Any] = []

    def select(label: str, col: sa.Column) -> None:
        labels[label] = (col.table.name, col.name)
        selected.append(col.label(label))

    for contract, ref in spec.columns.items():
        select(contract, column(ref, contract))
    for contract, ref in spec.optional.items():
        col = column(ref, contract, required=False)
        if col is not None:
            select(contract, col)
    for contract, mapped in spec.values.items():
        col = column(mapped.column, contract, required=not mapped.optional)
        if col is not None:
            select(contract, col)
    for i, flag in enumerate(spec.deleted):
        select(f"_deleted_{i}", column(flag, "deleted"))
    flags = [(join.table + "." + flag) for join in spec.joins for flag in join.deleted]
    for i, flag in enumerate(flags, start=len(spec.deleted)):
        select(f"_deleted_{i}", column(flag, "deleted"))
    synced = column(spec.synced, "synced")
    source = tables[spec.table]
    for join in spec.joins:
        on = [column(f"{join.table}.{c}", "join") == column(main, "join") for c, main in join.match.items()]
        source = source.join(tables[join.table], sa.and_(*on))
    start, end = _day_bounds(synced, run_date)
    statement = sa.select(*selected).select_from(source).where(synced >= start, synced < end)
    return _Plan(statement, labels)


def _day_bounds(synced: sa.Column, run_date: date) -> tuple[Any, Any]:
    """The bounds of `run_date` (UTC) in the sync column's type: timestamps for a timestamp column,
    ISO text for a text one (ISO timestamps sort as text)."""
    if isinstance(synced.type, (sa.DateTime, sa.Date)):
        start = datetime.combine(run_date, time.min)
        if getattr(synced.type, "timezone", False):
            start = start.replace(tzinfo=timezone.utc)
        return start, start + timedelta(days=1)
    return run_date.isoformat(), (run_date + timedelta(days=1)).isoformat()


def _text(value: Any) -> str | None:
    """A database value as contract text: None for null or blank, ISO-8601 for a timestamp."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    text = str(value).replace("\x00", "")
    return text if text.strip() else None


def _flag(mapping: SourceMapping, where: tuple[str, str], value: str | None) -> bool:
    """A soft-delete flag's value as a bool; anything but true/false text raises ExtractError."""
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ExtractError(f"{mapping.source}: table {where[0]}, column {where[1]}: value {value!r} is not a "
                       "true/false flag")


def _mapped(mapping: SourceMapping, where: tuple[str, str], contract: str, spec: ValueMap,
            values: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """The contract values of a source column, and which rows a value mapped to null leaves out;
    a value the map does not know raises ExtractError."""
    keys = values.map(lambda v: "" if v is None else v.strip().lower())
    known = keys.isin(list(spec.map)) | (values.isna() & ("" not in spec.map))
    if not known.all():
        value = values[~known].iloc[0]
        raise ExtractError(f"{mapping.source}: table {where[0]}, column {where[1]}: value {value!r} is not in the "
                           f"mapping's {contract} values ({path})")
    mapped = keys.map(lambda k: spec.map.get(k))
    left_out = keys.isin([k for k, v in spec.map.items() if v is None])
    return mapped.astype(object).where(mapped.notna(), None), left_out


def _deleted_records(mapping: SourceMapping, spec: TableMapping, plan: _Plan, raw: pd.DataFrame,
                     flags: dict[str, pd.Series]) -> pd.DataFrame:
    """The records of `raw` (deleted rows of a leads table) with the first flag that deleted each
    (`<joined table>.<flag>` for a joined table's); rows without a record id are left out."""
    flag = pd.Series(None, index=raw.index, dtype=object)
    for label, flagged in reversed(list(flags.items())):  # the first flag that holds wins
        table, column = plan.labels[label]
        flag = flag.mask(flagged[raw.index], column if table == spec.table else f"{table}.{column}")
    records = pd.DataFrame({"source_system": mapping.source, "source_lead_id": raw.get("source_lead_id"),
                            "source_table": spec.table, "flag": flag}, index=raw.index, columns=DELETED_COLUMNS)
    return records[records["source_lead_id"].notna()].reset_index(drop=True).astype(object)


def read_table(conn: sa.Connection, mapping: SourceMapping, stream: str, spec: TableMapping, run_date: date,
               schema: str | None, path: Path) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """One mapped table's rows synced on `run_date`, as contract columns of text, its counts (rows
    synced that day, left out as deleted, left out by a value mapped to null, read), and the records
    of its rows left out as deleted (DELETED_COLUMNS; of a leads table only)."""
    plan = _plan(conn, mapping, stream, spec, schema, run_date)
    if plan is None:
        empty = pd.DataFrame(columns=list(EXTRACT_FILES[stream][0]), dtype=object)
        return empty, {"synced": 0, "deleted": 0, "not_mapped": 0, "read": 0}, \
            pd.DataFrame(columns=DELETED_COLUMNS, dtype=object)
    result = conn.execute(plan.statement)
    raw = pd.DataFrame([[_text(v) for v in row] for row in result], columns=list(result.keys()), dtype=object)
    counts = {"synced": len(raw)}
    deleted = pd.Series(False, index=raw.index)
    flags: dict[str, pd.Series] = {}
    for label in [c for c in raw.columns if c.startswith("_deleted_")]:
        flags[label] = raw[label].map(lambda v, w=plan.labels[label]: _flag(mapping, w, v)).astype(bool)
        deleted |= flags[label]
    records = (_deleted_records(mapping, spec, plan, raw[deleted], flags) if stream == "leads"
               else pd.DataFrame(columns=DELETED_COLUMNS, dtype=object))
    raw = raw[~deleted].reset_index(drop=True)  # a deleted row's values are not checked
    frame = pd.DataFrame(index=raw.index)
    skipped = pd.Series(False, index=raw.index)
    for contract in raw.columns:
        if contract.startswith("_deleted_"):
            continue
        if contract in spec.values:
            frame[contract], left_out = _mapped(mapping, plan.labels[contract], contract, spec.values[contract],
                                                raw[contract], path)
            skipped |= left_out
        else:
            frame[contract] = raw[contract]
    for contract, value in spec.constants.items():
        frame[contract] = value
    frame.insert(0, "source_system", mapping.source)
    counts["deleted"] = int(deleted.sum())
    counts["not_mapped"] = int(skipped.sum())
    kept = frame[~skipped].reset_index(drop=True)
    counts["read"] = len(kept)
    return kept.astype(object).where(kept.notna(), None), counts, records


@dataclass(frozen=True)
class StagingRead:
    """A run date's frames from staging tables, per `<stream>.<table>` its counts, and the lead
    records its leads tables flagged deleted (DELETED_COLUMNS)."""

    frames: dict[str, pd.DataFrame | None]
    counts: dict[str, dict[str, int]]
    deleted: pd.DataFrame


def _engine(source: StagingSource) -> sa.Engine:
    from tasks.warehouse.connection import parse_url

    parsed = parse_url(source.url, "MQL_SOURCE_URL")
    try:
        return sa.create_engine(parsed)
    except sa.exc.NoSuchModuleError:
        raise ConfigError(f"no database driver for the source database "
                          f"{parsed.render_as_string(hide_password=True)}") from None


def _database_error(source: StagingSource, engine: sa.Engine, exc: sa.exc.DBAPIError) -> ExtractError:
    from tasks.warehouse.connection import first_line

    return ExtractError(f"source database {engine.url.render_as_string(hide_password=True)} "
                        f"({source.shown}): {first_line(exc.orig)}")


def read_staging(source: StagingSource, run_date: date) -> StagingRead:
    """Every mapped table's rows synced on `run_date`, as the contract's extracts."""
    mapping = load_mapping(source.mapping_path)
    engine = _engine(source)
    frames: dict[str, pd.DataFrame | None] = {}
    counts: dict[str, dict[str, int]] = {}
    deleted: list[pd.DataFrame] = []
    try:
        with engine.connect() as conn:
            for stream, (contract, _, _) in EXTRACT_FILES.items():
                parts = []
                for spec in getattr(mapping, stream):
                    part, counts[f"{stream}.{spec.table}"], records = read_table(
                        conn, mapping, stream, spec, run_date, source.schema, source.mapping_path)
                    parts.append(part)
                    deleted.append(records)
                if not parts and stream != "leads":
                    frames[stream] = None
                    continue
                frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
                frames[stream] = frame.reindex(columns=[c for c in contract if c in frame.columns]).astype(object)
    except sa.exc.DBAPIError as exc:
        raise _database_error(source, engine, exc) from None
    finally:
        engine.dispose()
    records = pd.concat(deleted, ignore_index=True) if deleted else pd.DataFrame(columns=DELETED_COLUMNS)
    return StagingRead(frames, counts, records.drop_duplicates(["source_system", "source_lead_id"],
                                                               ignore_index=True).astype(object))


def day_synced(source: StagingSource, run_date: date) -> bool:
    """Whether any mapped table has rows synced on `run_date` (a missing table or column raises)."""
    mapping = load_mapping(source.mapping_path)
    engine = _engine(source)
    try:
        with engine.connect() as conn:
            for stream in EXTRACT_FILES:
                for spec in getattr(mapping, stream):
                    plan = _plan(conn, mapping, stream, spec, source.schema, run_date)
                    if plan is not None and conn.execute(plan.statement.limit(1)).first() is not None:
                        return True
    except sa.exc.DBAPIError as exc:
        raise _database_error(source, engine, exc) from None
    finally:
        engine.dispose()
    return False


def check_source(source: StagingSource) -> None:
    """Raise unless the mapping loads and every table and column it names is there."""
    day_synced(source, date(1970, 1, 1))


def no_rows_message(source: StagingSource, run_date: date) -> str:
    """The one line that says nothing was synced on `run_date`."""
    return f"no extract for {run_date}: no rows synced that day in the tables of {source.shown}"
