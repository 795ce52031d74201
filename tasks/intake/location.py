"""Where the extracts are: a local folder, or any fsspec URL (`s3://`, `gs://`, `abfs://`, `file://`).

Credentials are never part of the settings: each filesystem library finds its own the way it
documents (for S3, s3fs and botocore read `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
`AWS_PROFILE`, `AWS_ENDPOINT_URL` ...; for GCS, `GOOGLE_APPLICATION_CREDENTIALS`; for Azure,
`AZURE_STORAGE_*`), or they come as the library's storage options from a Prefect block (a `Storage`:
the URL and its options, flows/settings.py `MQL_STORAGE_BLOCK`). A location is shown without any
user, password or query string, and an error from the library has the values of those variables and
options blanked before it is shown.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tasks.errors import ExtractError
from tasks.warehouse.connection import first_line

# Environment variables whose values are credentials of the filesystem libraries.
CREDENTIAL_VARIABLES = re.compile(r"(SECRET|TOKEN|PASSWORD|KEY|CREDENTIAL|CONNECTION_STRING|SAS)", re.IGNORECASE)
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class Storage:
    """An fsspec URL and the storage options (credentials, endpoint ...) to open it with; it reads,
    is shown and is stored as the URL alone, its options never."""

    url: str
    options: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class Location:
    """A folder of <YYYY-MM-DD>/ extract folders: its filesystem, its path there, and how to show it."""

    fs: object   # fsspec.AbstractFileSystem
    root: str
    shown: str
    local: bool
    role: str = "extracts location"  # how errors name it
    secrets: tuple[str, ...] = field(default=(), repr=False)  # its storage options' values, blanked in errors

    def day(self, run_date: date) -> str:
        """The filesystem path of `run_date`'s folder."""
        return self.root.rstrip("/") + "/" + run_date.isoformat()

    def shown_day(self, run_date: date) -> str:
        """How to show `run_date`'s folder."""
        if self.local:
            return str(Path(self.root) / run_date.isoformat())
        return self.shown.rstrip("/") + "/" + run_date.isoformat()


def shown_location(location: str | Path) -> str:
    """The location without a user, password, query or fragment (credentials never show)."""
    text = str(location)
    if not URL.match(text):
        return text
    parts = urlsplit(text)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with the value of every credential variable of the environment, and every one of
    `secrets`, blanked."""
    values = [value for name, value in os.environ.items() if CREDENTIAL_VARIABLES.search(name)] + list(secrets)
    for value in values:
        if len(value) >= 6 and value in text:
            text = text.replace(value, "***")
    return text


def _texts(value: Any) -> tuple[str, ...]:
    """Every text and number among storage options (nested ones too): what an error must not show."""
    if isinstance(value, dict):
        return tuple(text for item in value.values() for text in _texts(item))
    if isinstance(value, (list, tuple)):
        return tuple(text for item in value for text in _texts(item))
    return (str(value),) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ()


def open_location(location: str | Path | Storage, role: str = "extracts location") -> Location:
    """The location's filesystem (a Storage's opened with its options); an unknown protocol or a
    missing library is one line."""
    text = str(location)
    options = location.options if isinstance(location, Storage) else {}
    if not URL.match(text):
        return Location(fs=None, root=text, shown=text, local=True, role=role)
    shown, secrets = shown_location(text), _texts(options)
    import fsspec

    try:
        # A fresh instance: credentials are read from the environment now, not from a cached one.
        fs, root = fsspec.core.url_to_fs(text, skip_instance_cache=True, **options)
    except (ValueError, ImportError, TypeError) as exc:
        raise ExtractError(f"{role} {shown}: {scrub(first_line(exc), secrets)}") from None
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return Location(fs=None, root=root, shown=root, local=True, role=role)
    return Location(fs=fs, root=root, shown=shown, local=False, role=role, secrets=secrets)


def remote_error(location: Location, what: str, exc: BaseException) -> ExtractError:
    """One line for a filesystem error: where, what was being done, and the library's reason."""
    if isinstance(exc, FileNotFoundError):
        reason = "does not exist (no such bucket or folder)"
    elif isinstance(exc, PermissionError):
        reason = ("access denied (check the credentials in the storage options)" if location.secrets
                  else "access denied (check the credentials in the environment)")
    else:
        reason = f"{type(exc).__name__}: {first_line(exc)}"
    return ExtractError(scrub(f"{location.role} {what}: {reason}", location.secrets))


def check_location(location: Location) -> None:
    """Raise ExtractError unless a remote location's folder (or bucket) can be listed; a local one
    is checked date by date (its missing folders name the date)."""
    if location.local:
        return
    try:
        location.fs.invalidate_cache()
        if location.fs.isdir(location.root):
            location.fs.ls(location.root, detail=False)
            return
        raise FileNotFoundError(location.root)
    except Exception as exc:  # any failure of the library (denied, unreachable, missing) is one line
        raise remote_error(location, location.shown, exc) from None


def day_exists(location: Location, run_date: date) -> bool:
    """Whether `run_date` has an extract folder there (a failure to look raises ExtractError)."""
    if location.local:
        return (Path(location.root) / run_date.isoformat()).is_dir()
    try:
        location.fs.invalidate_cache()
        return bool(location.fs.isdir(location.day(run_date)))
    except Exception as exc:  # any failure of the library is one line
        raise remote_error(location, location.shown_day(run_date), exc) from None


def fetch_day(location: Location, run_date: date, names: list[str], into: Path) -> list[str]:
    """Copy the named files of `run_date`'s remote folder that exist into the local folder `into`;
    the names copied."""
    try:
        present = {Path(p).name for p in location.fs.ls(location.day(run_date), detail=False)}
        copied = [name for name in names if name in present]
        for name in copied:
            location.fs.get(location.day(run_date) + "/" + name, str(into / name))
    except Exception as exc:  # any failure of the library is one line
        raise remote_error(location, location.shown_day(run_date), exc) from None
    return copied




def write_file(location: Location, name: str, data: bytes) -> str:
    """Write `data` as the file `name` (a path relative to the location's folder, `/`-separated) in
    the location's folder (made if missing), replacing any file of that name; where it went, as shown."""
    if location.local:
        folder = Path(location.root)
        try:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        except OSError as exc:
            raise ExtractError(f"{location.role} {folder / name}: cannot be written: {exc.strerror or exc}") from None
        return str(folder / name)
    path, shown = location.root.rstrip("/") + "/" + name, location.shown.rstrip("/") + "/" + name
    try:
        location.fs.pipe_file(path, data)
    except Exception as exc:  # any failure of the library (denied, unreachable, missing bucket) is one line
        raise remote_error(location, shown, exc) from None
    return shown
