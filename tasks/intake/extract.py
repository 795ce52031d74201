"""Extract stage: read a run date's folder of CSV or Parquet files into frames of strings.

A CSV file is parsed by pyarrow's reader (in C). The header is checked first, as written: a
repeated or empty column name, or a header that splits on `;`, tab or `|` rather than on commas,
fails the run. A row the file cannot give whole (too many or too few fields, bytes that are not
UTF-8, a quoted value still open at the end of the file) stays in its place as an unreadable row:
its values empty, `READ_ERROR` saying what is wrong on which line, `RAW_LINE` its text when it
could not be split into fields. Validation quarantines such rows with that reason.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.intake.contract import EXTRACT_FILES, file_column
from tasks.intake.location import check_location, day_exists, fetch_day, open_location
from tasks.intake.staging import StagingSource, check_source, day_synced, no_rows_message, read_staging
from tasks.errors import ExtractError

SUFFIXES = (".csv", ".parquet")
READ_ERROR = "_read_error"  # why a row could not be read ("line 7: ..."); None for a readable row
RAW_LINE = "_raw_line"      # the text of a row that could not be split into the header's fields
OTHER_DELIMITERS = {";": ";", "\t": "tab", "|": "|"}
HEADER_BYTES = 1 << 20      # a header line longer than this is not a header
BLOCK_BYTES = 1 << 25       # the reader's block: a row longer than this fails the file in one line


@dataclass(frozen=True)
class Extract:
    """A run date's extract files as frames of strings (None where a value is empty)."""

    run_date: date
    folder: Path | str
    frames: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # staging tables: rows per table
    # Staging tables: the lead records flagged deleted that day (staging.DELETED_COLUMNS); None from files.
    deleted: pd.DataFrame | None = None

    @property
    def leads(self) -> pd.DataFrame:
        frame = self.frames["leads"]
        assert frame is not None  # the leads file is required, so read_extract never leaves it out
        return frame


Extracts = str | Path | StagingSource  # a folder or fsspec URL of dated folders, or staging tables


def extract_exists(extracts_dir: Extracts, run_date: date) -> bool:
    """Whether `run_date` has an extract folder (local or remote; tasks/intake/location.py), or rows
    synced that day in the staging tables of a mapping (tasks/intake/staging.py)."""
    if isinstance(extracts_dir, StagingSource):
        return day_synced(extracts_dir, run_date)
    return day_exists(open_location(extracts_dir), run_date)


def no_extract_message(extracts_dir: Extracts, run_date: date) -> str:
    """The one line that says `run_date` has no extract folder (or no rows synced)."""
    if isinstance(extracts_dir, StagingSource):
        return no_rows_message(extracts_dir, run_date)
    return f"no extract folder for {run_date}: {open_location(extracts_dir).shown_day(run_date)} does not exist"


def check_extracts_location(extracts_dir: Extracts) -> None:
    """Raise ExtractError unless the location can be read: a remote folder listed, a mapping's
    tables and columns all there."""
    if isinstance(extracts_dir, StagingSource):
        check_source(extracts_dir)
    else:
        check_location(open_location(extracts_dir))


def wait_for_extract(extracts_dir: Extracts, run_date: date, wait_seconds: float, poll_seconds: float,
                     sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic) -> float | None:
    """Wait up to `wait_seconds` for `run_date`'s extract folder to appear, looking every
    `poll_seconds`; the seconds waited once it is there, None if it never came."""
    started = clock()
    while True:
        if extract_exists(extracts_dir, run_date):
            return clock() - started
        left = wait_seconds - (clock() - started)
        if left <= 0:
            return None
        sleep(min(poll_seconds, left))


def read_extract(extracts_dir: Extracts, run_date: date) -> Extract:
    """Read every extract file of `run_date`, from a local folder or any fsspec location (its files
    copied to a temporary folder first); a missing required file or unreadable file raises
    ExtractError, naming the file where it is. From staging tables, the rows synced that day."""
    if isinstance(extracts_dir, StagingSource):
        staged = read_staging(extracts_dir, run_date)
        return Extract(run_date=run_date, folder=extracts_dir.shown, frames=staged.frames,
                       files={stream: f"{extracts_dir.shown} ({stream})" for stream in staged.frames
                              if staged.frames[stream] is not None}, counts=staged.counts,
                       deleted=staged.deleted)
    location = open_location(extracts_dir)
    if location.local:
        return _read_folder(Path(location.root) / run_date.isoformat(), run_date, str(extracts_dir))
    check_location(location)
    if not day_exists(location, run_date):
        raise ExtractError(no_extract_message(extracts_dir, run_date))
    shown = location.shown_day(run_date)
    with tempfile.TemporaryDirectory(prefix="mql-extract-") as tmp:
        folder = Path(tmp) / run_date.isoformat()
        folder.mkdir()
        fetch_day(location, run_date, [stem + suffix for stem in EXTRACT_FILES for suffix in SUFFIXES], folder)
        try:
            extract = _read_folder(folder, run_date, str(extracts_dir))
        except ExtractError as exc:
            raise ExtractError(str(exc).replace(str(folder), shown)) from None
    return Extract(run_date=run_date, folder=shown, frames=extract.frames,
                   files={stem: name.replace(str(folder), shown) for stem, name in extract.files.items()})


def _read_folder(folder: Path, run_date: date, extracts_dir: str) -> Extract:
    """Every extract file of a local folder of `run_date`."""
    if not folder.is_dir():
        raise ExtractError(no_extract_message(extracts_dir, run_date))
    frames: dict[str, pd.DataFrame | None] = {}
    files: dict[str, str] = {}
    for stem, (columns, _, required) in EXTRACT_FILES.items():
        found = [folder / (stem + s) for s in SUFFIXES if (folder / (stem + s)).is_file()]
        if len(found) > 1:
            raise ExtractError(f"{folder}: both {found[0].name} and {found[1].name}; keep one")
        if not found:
            if required:
                raise ExtractError(f"{folder}: required file {stem}.csv or {stem}.parquet is missing")
            frames[stem] = None
            continue
        frames[stem] = read_file(found[0], columns)
        files[stem] = str(found[0])
    return Extract(run_date=run_date, folder=folder, frames=frames, files=files)


def with_custom_columns(frame: pd.DataFrame, contract: tuple[str, ...]) -> pd.DataFrame:
    """A frame of a file's columns, each one outside the contract renamed as a custom attribute
    (tasks.intake.contract.custom_column)."""
    return frame.rename(columns={c: file_column(c, contract) for c in frame.columns})


def read_file(path: Path, contract: tuple[str, ...]) -> pd.DataFrame:
    """One extract file as strings, extra columns as custom attributes; NUL bytes dropped (no
    database stores them in text), empty values None, rows that cannot be read marked (READ_ERROR)."""
    if path.suffix == ".parquet":
        return with_custom_columns(_read_parquet(path), contract)
    names, has_rows = _checked_header(path)
    if not has_rows:
        return with_custom_columns(pd.DataFrame({name.strip(): pd.Series(dtype=object) for name in names}), contract)
    table, skipped = _parse_csv(path, names)
    columns: dict[str, np.ndarray] = {}
    unreadable: dict[int, str] = {}
    for name, column in zip(names, table.columns):
        text, bad = _as_text(column)
        columns[file_column(name.strip(), contract)] = text
        for position in bad:
            unreadable.setdefault(int(position), f"bytes that are not UTF-8 (in {name.strip()})")
    frame = pd.DataFrame(columns, dtype=object)
    if table.num_rows and _ends_inside_quotes(path, table.column(len(names) - 1)[-1].as_py()):
        unreadable.setdefault(table.num_rows - 1, "the file ends inside a quoted value (cut short?)")
    if not unreadable and not skipped:
        return frame
    return _with_unreadable_rows(frame, unreadable, skipped)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path).astype(object)
    except (ValueError, OSError) as exc:
        raise ExtractError(f"{path}: cannot be read: {str(exc).strip().splitlines()[-1]}") from exc
    _check_names(path, [str(c) for c in frame.columns])
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    for name in frame.columns:
        text = frame[name].where(frame[name].notna(), "").astype(str).str.replace("\x00", "", regex=False)
        frame[name] = text.astype(object).where(text.str.strip() != "", None)
    return frame.reset_index(drop=True)


def _checked_header(path: Path) -> tuple[list[str], bool]:
    """The header's column names as written, and whether anything follows it; raises ExtractError for an empty file, a header
    that is not comma-separated, not UTF-8, or has a repeated or empty name."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(HEADER_BYTES)
            has_rows = bool(handle.read(1))
    except OSError as exc:
        raise ExtractError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    try:
        line = first.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ExtractError(f"{path}: the header row is not UTF-8 text (byte {exc.start + 1})") from exc
    if not line.strip():
        raise ExtractError(f"{path}: the file is empty (no header row)")
    try:
        names = next(csv.reader([line], strict=True))
    except csv.Error as exc:
        raise ExtractError(f"{path}: the header row cannot be read: {exc}") from exc
    for delimiter, label in OTHER_DELIMITERS.items():
        if len(names) < 2 <= len(next(csv.reader([line], delimiter=delimiter))):
            raise ExtractError(f"{path}: the header looks {label}-delimited; the contract is comma-separated CSV")
    _check_names(path, names)
    return names, has_rows


def _check_names(path: Path, names: list[str]) -> None:
    stripped = [name.strip() for name in names]
    empty = [str(i + 1) for i, name in enumerate(stripped) if not name]
    if empty:
        raise ExtractError(f"{path}: header column(s) {', '.join(empty)} have no name")
    repeated = sorted({name for name in stripped if stripped.count(name) > 1})
    if repeated:
        raise ExtractError(f"{path}: repeated column name(s) in the header: {', '.join(repeated)}")


def _parse_csv(path: Path, names: list[str]):
    """The data rows of a CSV file as binary columns, and the rows skipped for a wrong number
    of fields as {data row position: reason}, with their text."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    skipped: dict[int, tuple[str, str]] = {}

    def ragged(row) -> str:
        # row.number counts records from 1 (the header); known because the read is single-threaded
        label = next((label for delimiter, label in OTHER_DELIMITERS.items()
                      if len(next(csv.reader([row.text or ""], delimiter=delimiter))) == row.expected_columns), None)
        skipped[row.number - 2] = (f"{row.actual_columns} field(s) where the header has {row.expected_columns}"
                                   + (f" (it looks {label}-delimited; the contract is comma-separated CSV)"
                                      if label else ""), row.text)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            # One thread: the row numbers of skipped rows are known only then.
            read_options=pacsv.ReadOptions(use_threads=False, column_names=names, skip_rows=1,
                                           block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=ragged),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.binary() for name in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise ExtractError(f"{path}: cannot be read: {str(exc).strip().splitlines()[-1]}") from exc
    return table, skipped


def _as_text(column) -> tuple[np.ndarray, np.ndarray]:
    """A binary column as Python strings (None where blank, NUL bytes dropped), and the
    positions of values that are not UTF-8 (kept, their bad bytes written as \\xNN).
    Each distinct value is decoded and made a Python string once (values repeat)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column.combine_chunks())
    words = encoded.dictionary
    codes = encoded.indices.to_numpy()
    try:
        text = words.cast(pa.string())
        bad = np.empty(0, dtype=np.int64)
    except pa.ArrowInvalid:  # a file with bad bytes only: each distinct value once, in Python
        raw = words.to_pylist()
        bad_words = [i for i, v in enumerate(raw) if not _is_utf8(v)]
        text = pa.array([v.decode("utf-8", "backslashreplace") for v in raw], pa.string())
        bad = np.flatnonzero(np.isin(codes, bad_words))
    text = pc.replace_substring(text, "\x00", "")
    text = pc.if_else(pc.equal(pc.utf8_trim_whitespace(text), ""), pa.scalar(None, pa.string()), text)
    return text.to_numpy(zero_copy_only=False)[codes], bad


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _ends_inside_quotes(path: Path, last_value: bytes) -> bool:
    """Whether the file ends inside a quoted value: the reader then takes the rest of the file as
    the last row's last value, so the file ends with an opening quote and that value."""
    tail = b'"' + last_value.replace(b'"', b'""')
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - len(tail)))
        return handle.read() == tail


def _with_unreadable_rows(frame: pd.DataFrame, unreadable: dict[int, str],
                          skipped: dict[int, tuple[str, str]]) -> pd.DataFrame:
    """Rows read whole, with the skipped rows put back in their places (values empty) and every
    unreadable row's reason in READ_ERROR, naming its line (records counted from the header, 1)."""
    total = len(frame) + len(skipped)
    kept = np.setdiff1d(np.arange(total), np.fromiter(skipped, dtype=np.int64, count=len(skipped)))
    frame = frame.set_axis(kept).reindex(range(total)).astype(object)
    frame = frame.where(frame.notna(), None)
    reasons = {int(kept[i]): reason for i, reason in unreadable.items()}
    reasons |= {position: reason for position, (reason, _) in skipped.items()}
    frame[READ_ERROR] = pd.Series({p: f"line {p + 2}: {r}" for p, r in reasons.items()}, dtype=object)
    frame[READ_ERROR] = frame[READ_ERROR].where(frame[READ_ERROR].notna(), None)
    frame[RAW_LINE] = pd.Series({p: text for p, (_, text) in skipped.items()}, dtype=object)
    frame[RAW_LINE] = frame[RAW_LINE].where(frame[RAW_LINE].notna(), None)
    return frame.reset_index(drop=True)


def with_contract_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Add every contract column the file left out, empty (the contract treats them as empty)."""
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    return frame.assign(**{c: None for c in missing})
