"""Warehouse access: connect, create tables from `sql/`, run named queries, bulk-write frames.

Tables are addressed by bare names; on PostgreSQL the connection's search_path points at the
configured schema, so the same SQL files run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import date, datetime
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tasks.errors import ConfigError, WarehouseError

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
DDL_FOLDERS = ("schema", "views")  # the warehouse's tables, then its views, in file order
# Enough to keep a query's bound parameters well under SQLite's and PostgreSQL's limits.
IN_CHUNK = 5_000
# Rows a bulk write turns into Python values at a time: its memory stays that of a slice.
WRITE_CHUNK = 100_000
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# SQLite's page cache per connection (a negative size is in KiB; SQLite's own default is 2 MiB),
# taken only as pages are read. A connection that bulk-writes gets 512 MiB: a night's writes update
# large indexes, and a cache that holds them saves re-reading pages from the file. Every other use
# (the look-ups run several connections at once) keeps 64 MiB, and a connection handed back to the
# pool returns to it, freeing what its writes cached.
SQLITE_CACHE_PRAGMA = "PRAGMA cache_size = -65536"
SQLITE_WRITE_CACHE_PRAGMA = "PRAGMA cache_size = -524288"


def open_warehouse(url: str, schema: str = "mql", *, upgrade_as: str | None = None,
                   lock_wait_seconds: float = 0.0, writing: bool = True) -> Engine:
    """Connect to the warehouse at `url` and check its schema revision (tasks/warehouse/migrations.py): an
    empty warehouse gets the tables; one behind this release is upgraded when `upgrade_as` names
    who upgrades it (under the run lock, waiting up to `lock_wait_seconds`), else refused. A
    caller `writing` is refused a SQLite file it could not write, before anything starts."""
    from tasks.warehouse.migrations import check_revision  # it builds on this module

    engine = connect_warehouse(url, schema)
    try:
        if writing:
            _check_writable(engine)
        with warehouse_errors(engine, "cannot set up"):
            check_revision(engine, schema, upgrade_as, lock_wait_seconds)
    except BaseException:
        engine.dispose()
        raise
    return engine


def connect_warehouse(url: str, schema: str = "mql") -> Engine:
    """An engine for the warehouse at `url` (tables in `schema` on PostgreSQL), checked to answer;
    its schema revision is not checked (open_warehouse does that)."""
    parsed = parse_url(url, "warehouse URL")
    shown = parsed.render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        if not _SCHEMA_NAME.match(schema):
            raise ConfigError(f"warehouse schema must be a plain identifier, got {schema!r}")
        # Quoted, so that a mixed-case schema name (MqlTest) is not folded to lower case.
        connect_args["options"] = '-c search_path="' + schema + '"'
        connect_args["connect_timeout"] = 10
    elif parsed.get_backend_name() == "sqlite":
        connect_args["timeout"] = SQLITE_BUSY_SECONDS
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise WarehouseError(f"cannot open warehouse {shown}: folder {folder} does not exist")
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
    except sa.exc.NoSuchModuleError as exc:
        raise ConfigError(f"no database driver for warehouse URL {shown}") from exc
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_cache)
        sa.event.listen(engine, "checkin", _sqlite_cache)
    try:
        with warehouse_errors(engine, "cannot reach"):
            engine.connect().close()
    except BaseException:
        engine.dispose()
        raise
    return engine


def _sqlite_cache(connection: Any, _record: Any) -> None:
    """A SQLite connection's page cache, set when it opens and when it returns to the pool
    (SQLITE_CACHE_PRAGMA); lowering the size frees the pages beyond it."""
    if connection is None:  # handed back after it was invalidated: nothing left to size
        return
    cursor = connection.cursor()
    cursor.execute(SQLITE_CACHE_PRAGMA)
    cursor.close()


def _check_writable(engine: Engine) -> None:
    """Refuse a SQLite warehouse whose file, or folder (its journal, the run lock file), is read-only."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser().resolve()
    shown = engine.url.render_as_string(hide_password=True)
    if not os.access(path.parent, os.W_OK):
        raise WarehouseError(f"warehouse {shown} is read-only: cannot write in its folder {path.parent} "
                             "(SQLite keeps its journal there, a run its lock file)")
    if path.exists() and not os.access(path, os.W_OK):
        raise WarehouseError(f"warehouse {shown} is read-only: cannot write the file {path}")


@contextmanager
def warehouse_errors(engine: Engine, failed: str) -> Iterator[None]:
    """Raise a database error as a one-line WarehouseError: what the user can act on (see
    database_problem), else `<failed> warehouse <url>: <the database's message>`."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        raise WarehouseError(database_problem(exc, shown) or
                             f"{failed} warehouse {shown}: {first_line(exc.orig)}") from exc


SQLITE_BUSY_SECONDS = 60.0  # how long a SQLite statement waits for another process's lock


def database_problem(exc: BaseException, shown: str = "") -> str | None:
    """One line for a warehouse error the user can act on (a full disk, a read-only or locked
    file), or None for any other error. `exc` may be SQLAlchemy's or the driver's own (bulk_insert
    writes through the driver)."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if not isinstance(orig, sqlite3.Error) and not hasattr(orig, "sqlstate"):  # psycopg's errors have one
        return None
    text = first_line(orig)
    where = f"warehouse {shown}" if shown else "the warehouse"
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if "database or disk is full" in text or sqlstate == "53100":
        return f"{where}: the disk is full ({text}): free space and try again"
    if "readonly database" in text or sqlstate == "25006":
        return f"{where} is read-only ({text}): make it writable and try again"
    if "unable to open database file" in text:
        return (f"cannot open {where} ({text}): the file or its folder is missing, read-only or not "
                "writable")
    if "database is locked" in text:
        return (f"{where} is locked by another process for longer than {SQLITE_BUSY_SECONDS:g} s ({text}); "
                "try again once it is done")
    return None


def warehouse_file(url: str) -> Path | None:
    """The database file of a SQLite file warehouse (None for an in-memory or other warehouse)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def parse_url(url: str, origin: str) -> sa.URL:
    """`url` parsed; if it is no SQLAlchemy URL, a one-line error naming `origin` (where it was given)
    and what is wrong, without the text itself, which may hold a password."""
    try:
        return sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        problem = "expected dialect+driver://user:password@host:port/database or sqlite:///file"
    except ValueError:  # make_url's only other refusal: int() of the port
        problem = "its port is not a number"
    raise ConfigError(f"{origin}: not a SQLAlchemy URL ({problem})")


def first_line(exc: BaseException | None) -> str:
    """The first non-empty line of an exception's message."""
    text = str(exc or "").strip()
    return text.splitlines()[0] if text else type(exc).__name__


@cache
def _query_files() -> dict[str, Path]:
    """Every query file under sql/<consumer>/, by name (names are unique across the folders)."""
    found: dict[str, Path] = {}
    for path in sorted(SQL_DIR.glob("*/*.sql")):
        if path.parent.name in DDL_FOLDERS:
            continue
        if path.stem in found:
            raise RuntimeError(f"two query files named {path.stem}: {found[path.stem]} and {path}")
        found[path.stem] = path
    return found


@cache
def sql_text(name: str) -> str:
    """The text of the query file `sql/<consumer>/<name>.sql`."""
    return _query_files()[name].read_text(encoding="utf-8")


def sql_statement(name: str) -> str:
    """The single statement of `sql/<name>.sql`, comments dropped (a ':name' in a comment is no parameter)."""
    (statement,) = statements(sql_text(name))
    return statement


def statements(sql: str) -> list[str]:
    """Split a SQL file into statements (comments dropped; no literals in these files hold ';')."""
    code = re.sub(r"--[^\n]*", "", sql)
    return [part.strip() for part in code.split(";") if part.strip()]


def ddl_statements(dialect: str, folders: tuple[str, ...] = DDL_FOLDERS) -> Iterator[str]:
    """The statements of the schema's `folders` in file order (tables, then views, by default);
    `NN_name.<dialect>.sql` files apply to that database only."""
    for path in [path for folder in folders for path in sorted((SQL_DIR / folder).glob("*.sql"))]:
        only = path.suffixes[-2][1:] if len(path.suffixes) > 1 else None
        if only in (None, dialect):
            yield from statements(path.read_text(encoding="utf-8"))


def run_script(conn: Connection, name: str, params: dict[str, Any]) -> None:
    """Run every statement of `sql/<name>.sql` with bound parameters."""
    for statement in statements(sql_text(name)):
        clause = sa.text(statement)
        conn.execute(clause, {k: v for k, v in params.items() if k in clause.compile().params})


def execute(conn: Connection, name: str, params: dict[str, Any]) -> None:
    """Run the single statement of `sql/<name>.sql` with bound parameters."""
    conn.execute(sa.text(sql_statement(name)), params)


def query(conn: Connection, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run the query `sql/<name>.sql` and return its rows."""
    return _frame(conn.execute(sa.text(sql_statement(name)), params or {}))


def _frame(result: sa.CursorResult) -> pd.DataFrame:
    """A result's rows as a frame, built column by column (quicker than from row objects)."""
    columns = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame(dict(zip(columns, zip(*rows))), columns=columns)


def _plain_frame(columns: list[str], values: Iterable[Sequence[Any]]) -> pd.DataFrame:
    """A frame of large look-up results: integer columns as int64 and every other column as
    Python objects (None where missing), not converted to pandas' Arrow-backed text. A column
    that repeats its values (names, cities, countries) holds one object per distinct value:
    the driver makes one per row."""
    data = {}
    for name, column in zip(columns, values):
        if len(column) and type(column[0]) is int:
            # Integers only when every value is one: PostgreSQL's JSON writes a whole real number
            # without a fraction (40 among 38.07), which an int64 array would silently truncate.
            numbers = np.array(column)
            if numbers.dtype.kind == "i":
                data[name] = pd.Series(numbers.astype(np.int64))
                continue
        array = np.array(column, dtype=object)
        if len(array) > _SHARED_SAMPLE and len(pd.unique(array[:_SHARED_SAMPLE])) < _SHARED_SAMPLE * 0.9:
            codes, distinct = pd.factorize(array)
            array = np.append(np.asarray(distinct, dtype=object), None)[codes]  # missing: code -1, the None appended
        data[name] = pd.Series(array, dtype=object)
    return pd.DataFrame(data, columns=columns)


_SHARED_SAMPLE = 10_000  # values a look-up column is judged on: repeats or not


def _lookup_values(conn: Connection, values: pd.DataFrame) -> tuple[str, str]:
    """`values` (64-bit integer or text columns) as a table `lookup_values` the statement after
    the returned WITH clause can join: one bound JSON document, read by SQLite's `json_each` or
    PostgreSQL's `json_array_elements`; and that document (bind it as :lookup_values)."""
    columns = [str(c) for c in values.columns]
    if not all(column.isidentifier() for column in columns):
        raise ValueError(f"not plain column names: {columns!r}")
    numeric = [values[c].dtype == "int64" for c in columns]
    # One JSON document: [v, ...] for one column, [[a, b], ...] for more (pandas writes it in C).
    document = (values[columns[0]] if len(columns) == 1 else values[columns]).to_json(orient="values")
    if conn.dialect.name == "sqlite":
        cells = ["value"] if len(columns) == 1 else [f"json_extract(value, '$[{i}]')" for i in range(len(columns))]
        source = "json_each(:lookup_values)"
    else:
        cells = ["value"] if len(columns) == 1 else [f"value ->> {i}" for i in range(len(columns))]
        cells = [f"CAST({cell} AS BIGINT)" if number else cell for cell, number in zip(cells, numeric)]
        source = ("json_array_elements_text" if len(columns) == 1 else "json_array_elements") + \
            "(CAST(:lookup_values AS json)) AS value"
    # Only identifiers and fixed SQL are put together here, each identifier quoted by the
    # database's rules; the values travel as the bound document.
    quote = conn.dialect.identifier_preparer.quote
    given = ("WITH lookup_values (" + ", ".join(map(quote, columns)) + ") AS (SELECT " + ", ".join(cells)
             + " FROM " + source + ") ")
    return given, document


def query_joined(conn: Connection, name: str, values: pd.DataFrame, params: dict[str, Any] | None = None
                 ) -> pd.DataFrame:
    """Run the query `sql/<name>.sql`, which joins `lookup_values` holding `values` (64-bit
    integer or text columns): one bound JSON document and one join instead of many IN lists,
    for large sets (see _lookup_values), several times quicker than loading a table row by row;
    the planner takes it for a few rows and probes the indexes, so the cost follows the values,
    not the size of the tables. Each result column comes back as one JSON array: a few long
    texts instead of a Python tuple per row (measured on SQLite: 4.4 s against 7 s for 1.2 M
    rows of 11 columns)."""
    given, document = _lookup_values(conn, values)
    aggregate = "json_group_array" if conn.dialect.name == "sqlite" else "json_agg"
    quote = conn.dialect.identifier_preparer.quote
    statement = sql_statement(name)
    params = {**(params or {}), "lookup_values": document}
    shape = sa.text("SELECT * FROM (" + given + statement + ") AS q LIMIT 0")
    names = list(conn.execute(shape, {**params, "lookup_values": "[]"}).keys())  # the result's columns
    by_column = sa.text(given + ", found AS (" + statement + ") SELECT "
                        + ", ".join("CAST(" + aggregate + "(found." + quote(column) + ") AS TEXT)" for column in names)
                        + " FROM found")
    texts = list(conn.execute(by_column, params).one())

    def decoded() -> Iterator[list[Any]]:  # one column's Python values at a time, its text let go
        for at in range(len(texts)):
            text, texts[at] = texts[at], None
            yield json.loads(text) if text is not None else []

    return _plain_frame(names, decoded())


def execute_joined(conn: Connection, name: str, values: pd.DataFrame, params: dict[str, Any] | None = None) -> None:
    """Run the statement `sql/<name>.sql` (a DELETE or UPDATE), which joins `lookup_values`
    holding `values`, as query_joined does: one statement however many values."""
    given, document = _lookup_values(conn, values)
    conn.execute(sa.text(given + sql_statement(name)), {**(params or {}), "lookup_values": document})


def query_warehouse(url: str, schema: str, *names: str) -> list[pd.DataFrame]:
    """Open the warehouse, run the named queries (no parameters), close it: the rows of each."""
    engine = open_warehouse(url, schema, writing=False)
    try:
        with engine.connect() as conn:
            return [query(conn, name) for name in names]
    finally:
        engine.dispose()


def query_in(
    conn: Connection, name: str, values: Iterable[Any], params: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Run `sql/<name>.sql`, whose `:values` is an IN list, in chunks over `values`.

    Returns the rows of every chunk (an empty frame for statements that return none).
    """
    clause = sa.text(sql_statement(name)).bindparams(sa.bindparam("values", expanding=True))
    distinct = list(dict.fromkeys(v for v in values if v is not None and v == v))
    frames = []
    for start in range(0, len(distinct), IN_CHUNK):
        result = conn.execute(clause, {**(params or {}), "values": distinct[start : start + IN_CHUNK]})
        if result.returns_rows:
            frames.append(pd.DataFrame(result.fetchall(), columns=list(result.keys())))
    if frames:
        return pd.concat(frames, ignore_index=True)
    if not distinct and sql_statement(name)[:6].upper() == "SELECT":
        # No values: still run once, on an impossible value, so the caller gets the columns.
        result = conn.execute(clause, {**(params or {}), "values": [""]})
        return pd.DataFrame(result.fetchall()[:0], columns=list(result.keys()))
    return pd.DataFrame()


def _python_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values: timestamps and dates as ISO text, missing values as None."""
    converted = []
    for _, column in frame.items():
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(column):
            values = _iso_timestamps(column).to_numpy()
        elif column.dtype == object:
            values = column.to_numpy()
            missing = pd.isna(values)  # None, NaN, NaT and pd.NA alike
            if missing.any():
                values = values.copy()
                values[missing] = None
            if pd.api.types.infer_dtype(values, skipna=True) not in _PLAIN_KINDS:
                values = np.fromiter((v.isoformat() if isinstance(v, (datetime, date)) else v for v in values),
                                     dtype=object, count=len(values))
        else:  # numbers, booleans, pandas' own string and nullable types: one pass, missing as None
            values = column.to_numpy(dtype=object, na_value=None)
        converted.append(values)
    return list(zip(*converted)) if converted else []


# What pandas infers of an object column that holds no date or time: its values go as they are.
_PLAIN_KINDS = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float", "boolean", "bytes"})


def _iso_timestamps(column: pd.Series) -> pd.Series:
    """Timestamps as `Timestamp.isoformat` writes them ("2026-03-02T09:15:00+00:00", with
    microseconds only when there are some), built column-wise for naive and UTC columns: each
    distinct instant is formatted once (a day's activities share at most 86 400 seconds)."""
    zone = getattr(column.dtype, "tz", None)
    utc = zone is not None and str(zone) == "UTC"
    if zone is not None and not utc:
        return column.map(lambda ts: None if pd.isna(ts) else ts.isoformat())
    values = (column.dt.tz_localize(None) if utc else column).to_numpy()
    given = ~np.isnat(values)
    if (values[given].astype("datetime64[ns]").astype(np.int64) % 1000 != 0).any():  # nanoseconds: as isoformat does
        return column.map(lambda ts: None if pd.isna(ts) else ts.isoformat())
    codes, instants = pd.factorize(values[given].astype("datetime64[us]"))
    instants = np.asarray(instants, dtype="datetime64[us]")
    fraction = instants.astype(np.int64) % 1_000_000 != 0
    distinct = np.datetime_as_string(instants, unit="s").astype(object)
    if fraction.any():
        distinct[fraction] = np.datetime_as_string(instants[fraction], unit="us")
    if utc:
        distinct = distinct + "+00:00"
    text = np.full(len(values), None, dtype=object)
    text[given] = distinct[codes]
    return pd.Series(text, index=column.index, dtype=object)


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """Append `frame` to `table` in one bulk operation: COPY on PostgreSQL (CSV written by Arrow,
    or row by row when Arrow cannot type a column), executemany elsewhere."""
    if frame.empty:
        return 0
    columns: Sequence[str] = [str(c) for c in frame.columns]
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        from psycopg import sql as pgsql

        target = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))
        chunks = _csv_chunks(frame)
        with driver.cursor() as cursor:
            if chunks is not None:
                with cursor.copy(target + pgsql.SQL(" (FORMAT csv)")) as copy:
                    for chunk in chunks:
                        copy.write(chunk)
            else:
                with cursor.copy(target) as copy:
                    for start in range(0, len(frame), WRITE_CHUNK):
                        for row in _python_rows(frame.iloc[start:start + WRITE_CHUNK]):
                            copy.write_row(row)
        return len(frame)
    target = sa.table(table, *(sa.column(c) for c in columns))
    statement = str(sa.insert(target).compile(dialect=conn.dialect))
    cursor = driver.cursor()
    try:
        if conn.dialect.name == "sqlite":
            cursor.execute(SQLITE_WRITE_CACHE_PRAGMA)  # until the connection returns to the pool
        for start in range(0, len(frame), WRITE_CHUNK):  # Python's copy of the rows, a slice at a time
            cursor.executemany(statement, _python_rows(frame.iloc[start:start + WRITE_CHUNK]))
    finally:
        cursor.close()
    return len(frame)


def _csv_chunks(frame: pd.DataFrame, rows_per_chunk: int = 200_000) -> Iterator[bytes] | None:
    """The frame as CSV for PostgreSQL's COPY, in chunks: a missing value unquoted and empty (NULL),
    text quoted (so an empty string stays one), timestamps in ISO form with their zone. None when
    Arrow cannot type a column (mixed values): the caller writes row by row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except pa.ArrowException:  # a column Arrow cannot type: row by row
        return None
    if any(pa.types.is_nested(field.type) or pa.types.is_binary(field.type) for field in table.schema):
        return None
    options = pacsv.WriteOptions(include_header=False)

    def chunks() -> Iterator[bytes]:
        for start in range(0, table.num_rows, rows_per_chunk):
            buffer = pa.BufferOutputStream()
            pacsv.write_csv(table.slice(start, rows_per_chunk), buffer, options)
            yield buffer.getvalue().to_pybytes()

    return chunks()
