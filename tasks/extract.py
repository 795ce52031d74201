"""Extract stage: read a run date's folder of CSV or Parquet files into frames of strings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from tasks.contract import EXTRACT_FILES
from tasks.errors import ExtractError

SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Extract:
    """A run date's extract files as frames of strings (None where a value is empty)."""

    run_date: date
    folder: Path
    frames: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def leads(self) -> pd.DataFrame:
        frame = self.frames["leads"]
        assert frame is not None  # the leads file is required, so read_extract never leaves it out
        return frame


def day_folder(extracts_dir: Path, run_date: date) -> Path:
    """The folder holding `run_date`'s extract files."""
    return Path(extracts_dir) / run_date.isoformat()


def read_extract(extracts_dir: Path, run_date: date) -> Extract:
    """Read every extract file of `run_date`; a missing required file or unreadable file raises ExtractError."""
    folder = day_folder(extracts_dir, run_date)
    if not folder.is_dir():
        raise ExtractError(f"no extract folder for {run_date}: {folder} does not exist")
    frames: dict[str, pd.DataFrame | None] = {}
    files: dict[str, str] = {}
    for stem, (_, _, required) in EXTRACT_FILES.items():
        found = [folder / (stem + s) for s in SUFFIXES if (folder / (stem + s)).is_file()]
        if len(found) > 1:
            raise ExtractError(f"{folder}: both {found[0].name} and {found[1].name}; keep one")
        if not found:
            if required:
                raise ExtractError(f"{folder}: required file {stem}.csv or {stem}.parquet is missing")
            frames[stem] = None
            continue
        frames[stem] = read_file(found[0])
        files[stem] = str(found[0])
    return Extract(run_date=run_date, folder=folder, frames=frames, files=files)


def read_file(path: Path) -> pd.DataFrame:
    """One extract file as strings; NUL bytes dropped (no database stores them in text)."""
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path).astype(object)
            frame = frame.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
        else:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8",
                encoding_errors="replace", skipinitialspace=False,
            )
    except pd.errors.EmptyDataError as exc:
        raise ExtractError(f"{path}: the file is empty (no header row)") from exc
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise ExtractError(f"{path}: cannot be read: {str(exc).strip().splitlines()[-1]}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        raise ExtractError(f"{path}: repeated column names in the header")
    frame = frame.astype(object)
    for name in frame.columns:
        column = frame[name]
        text = column.where(column.notna(), "").astype(str).str.replace("\x00", "", regex=False)
        frame[name] = text.astype(object).where(text.str.strip() != "", None)
    return frame.reset_index(drop=True)


def with_contract_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Add every contract column the file left out, empty (the contract treats them as empty)."""
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    return frame.assign(**{c: None for c in missing})
