"""The one place that reads the environment: which warehouse, extracts, model and rules a run uses."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from contextlib import contextmanager
from pathlib import Path

from pydantic import Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
CONFIG_DIR = PROJECT_ROOT / "config"


class Settings(BaseSettings):
    """Run settings; each can be set as an `MQL_<NAME>` environment variable or a CLI option."""

    # A refused value is not echoed in errors: the warehouse URL may hold a password.
    model_config = SettingsConfigDict(env_prefix="MQL_", extra="ignore", hide_input_in_errors=True)

    warehouse_url: str = Field(
        "sqlite:///mql_warehouse.db", repr=False,
        description="SQLAlchemy URL of the warehouse; the default is an embedded SQLite file.",
    )
    warehouse_url_secret_block: str | None = Field(
        None, description="Name of a Prefect Secret block holding the warehouse URL, read instead of "
                          "MQL_WAREHOUSE_URL (set one of the two).",
    )
    warehouse_schema: str = Field(
        "mql", description="Schema holding the tables on databases that have schemas (PostgreSQL)."
    )
    extracts_dir: str = Field(
        "extracts", description="Where the extracts are: a folder, or any fsspec URL (s3://bucket/path, gs://, "
                                "abfs://, file://), holding one <YYYY-MM-DD>/ folder per run date; credentials "
                                "come from the environment as the storage's library reads them. Or "
                                "mapping:<file or name>: the staging tables a loader lands (config/sources/), read "
                                "from MQL_SOURCE_URL."
    )
    source_url: str | None = Field(
        None, repr=False,
        description="With --extracts mapping:<file>: SQLAlchemy URL of the database holding the loader's staging "
                    "tables (its password shown nowhere); unset: the warehouse's database.",
    )
    source_schema: str | None = Field(
        None, description="With --extracts mapping:<file>: the schema of the loader's tables (e.g. hubspot); "
                          "unset: the database's default schema (search_path on PostgreSQL)."
    )
    extracts_wait_seconds: float = Field(
        0, ge=0, description="How long a scheduled run waits for its date's extracts to land (a loader that "
                             "lands late) before it fails; 0: it fails at once."
    )
    extracts_poll_seconds: float = Field(
        60, gt=0, description="While waiting for a date's extracts, how often to look for them."
    )
    storage_block: str | None = Field(
        None, description="Name of a Prefect Secret block holding, as a JSON object, the storage options "
                          "(credentials, endpoint ...) fsspec opens the extracts, export and reports URLs with; "
                          "unset: the storage's library reads its credentials from the environment."
    )
    export_to: str | None = Field(
        None, description="Where each run writes its date's hand-offs (new MQLs and stage moves) after its results "
                          "are written: a folder or an fsspec URL (s3://bucket/path ...); unset: no export."
    )
    export_format: str = Field(
        "parquet", pattern="^(parquet|csv)$", description="The hand-off export's format: parquet or csv."
    )
    model_path: Path = Field(
        CONFIG_DIR / "scoring_model.yaml", description="The scoring model YAML file."
    )
    fraud_rules_path: Path = Field(
        CONFIG_DIR / "fraud.yaml", description="The fraud and junk rules YAML file."
    )
    dedupe_config_path: Path = Field(
        CONFIG_DIR / "dedupe.yaml", description="The identity resolution YAML file (matching and survivorship)."
    )
    timezone: str = Field(
        "UTC", description="Time zone whose calendar day a scheduled run scores (the day before the run starts)."
    )
    expectations_dir: Path = Field(
        EXPECTATIONS_DIR, description="Folder of Great Expectations suites, one JSON file per extract."
    )
    data_docs_dir: Path | None = Field(
        None, description="Folder for each run's Great Expectations Data Docs (<run date>/<run id>/); "
                          "default: <reports location>/data_docs, beside the run reports."
    )
    reports_dir: str | None = Field(
        None, description="Folder for the per-run HTML reports (<run date>/<run id>.html), the Data Docs and "
                          "the dashboard; default: beside the warehouse (see reports_location). An fsspec URL "
                          "(s3://, gs://, abfs://) gets a copy of every page at the same path under it."
    )
    monitoring_path: Path = Field(
        CONFIG_DIR / "monitoring.yaml", description="Anomaly-check thresholds (trailing baseline) YAML file."
    )
    reports_url: str | None = Field(
        None, description="The http(s) address where the reports location is served (e.g. by "
                          "`python -m http.server`); set, the run's artifacts link its report, Data Docs and "
                          "the dashboard there."
    )
    alert_block: str = Field(
        "mql-alerts", description="Name of the Prefect notification block (webhook, Slack, email) the alerting "
                                  "automations notify through (deployments/automations.py)."
    )
    fail_on_anomaly: bool = Field(
        False, description="Fail the flow run (after its results are written) when an anomaly check fires."
    )
    auto_upgrade: bool = Field(
        False, description="Let a run upgrade a warehouse made by an older release (as `mql upgrade` does, "
                           "holding the run lock) instead of refusing it."
    )
    lock_wait_seconds: float = Field(
        1800, ge=0, description="How long a run waits for another run to release the warehouse before failing."
    )
    lock_lease_seconds: float = Field(
        30, gt=0, description="PostgreSQL: how long a run's lock outlives its last renewal (a third of this) "
                              "when its process stops answering; the next run waits that long after a crash "
                              "on another host (on the same host, only until the process is gone)."
    )
    warehouse_retries: int = Field(
        3, ge=0, description="Retries of a warehouse stage after a transient error (connection lost, database locked)."
    )
    warehouse_retry_delay_seconds: float = Field(
        10, ge=0, description="Seconds between those retries."
    )
    lead_partitions: int = Field(
        1, ge=1, description="The per-lead stages (load_state to enroll) run in this many partitions of the "
                             "day's leads on a Dask cluster (prefect-dask); 1: in the run's own process."
    )
    dask_address: str | None = Field(
        None, description="Address of a running Dask scheduler (tcp://host:8786) for the partitions; unset: a "
                          "local cluster of one single-threaded worker process per partition, at most one per core."
    )
    match_key_secret: SecretStr | None = Field(
        None, description="Secret that keys the hashes of match keys and erasure tombstones (at least 16 "
                          "characters; never logged). Unset: a SQLite warehouse uses the random key in the "
                          "`<file>.match-key` file beside it (made on first use); other warehouses refuse to run."
    )


    _storage_options: dict[str, Any] | None = PrivateAttr(None)  # read from storage_block once, when first needed

    def storage(self, location: str) -> str | Any:
        """`location` as fsspec opens it: an fsspec URL with the options of MQL_STORAGE_BLOCK (a
        tasks.intake.location.Storage, shown as the URL alone) when the block is set; else as given."""
        from tasks.intake.location import URL, Storage

        if not self.storage_block or not URL.match(str(location)):
            return location
        if self._storage_options is None:
            self._storage_options = read_storage_block(self.storage_block)
        return Storage(str(location), self._storage_options)

    @property
    def extracts(self):
        """Where a run reads its extracts: the folder or URL (with MQL_STORAGE_BLOCK's options), or for
        `mapping:<file or name>` the staging tables of that mapping in the source database
        (tasks/intake/staging.py)."""
        from tasks.intake.staging import StagingSource, is_mapping, mapping_path

        if not is_mapping(self.extracts_dir):
            return self.storage(self.extracts_dir)
        return StagingSource(mapping_path(self.extracts_dir), self.source_url or self.warehouse_url,
                             self.source_schema, location=self.extracts_dir)

    @property
    def reports_location(self) -> Path:
        """Where run reports go (absolute): MQL_REPORTS_DIR, else beside the warehouse: for a SQLite
        file `<folder>/<file stem>-reports/`, for any other warehouse
        `<user data folder>/mql-pipeline/reports/<backend>-<host>-<database>-<schema>/` (the user data
        folder: $XDG_DATA_HOME, else ~/.local/share). Never the working folder."""
        if self.reports_dir:
            from tasks.intake.location import URL, open_location

            if not URL.match(self.reports_dir):
                return Path(self.reports_dir).expanduser().resolve()
            location = open_location(self.reports_dir, "reports location")
            if location.local:  # file://
                return Path(location.root).resolve()
            # A remote location: the pages are written beside the warehouse, then copied there.
        from tasks.warehouse.connection import parse_url, warehouse_file

        database = warehouse_file(self.warehouse_url)
        if database is not None:
            return database.parent / f"{database.stem}-reports"
        url = parse_url(self.warehouse_url, "MQL_WAREHOUSE_URL")
        name = "-".join(str(part) for part in (url.get_backend_name(), url.host or "local", url.database or "memory",
                                               self.warehouse_schema))
        data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        return data.expanduser().resolve() / "mql-pipeline" / "reports" / _safe_name(name)

    @property
    def reports_copy_to(self) -> str | None:
        """The remote reports location (an fsspec URL that is not file://) that gets a copy of every
        page written under reports_location; None when the reports location is a local folder."""
        from tasks.intake.location import URL, open_location

        if not self.reports_dir or not URL.match(self.reports_dir):
            return None
        return None if open_location(self.reports_dir, "reports location").local else self.reports_dir

    @property
    def data_docs_location(self) -> Path:
        """Where each run's Data Docs go (absolute): MQL_DATA_DOCS_DIR, else `<reports location>/data_docs`."""
        if self.data_docs_dir is not None:
            return Path(self.data_docs_dir).expanduser().resolve()
        return self.reports_location / "data_docs"


def _safe_name(text: str) -> str:
    """`text` as one folder name: anything but letters, digits, `.`, `_` and `-` becomes `_`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def secret_from_environment(name: str) -> str | None:
    """The value of the environment variable `name` (a command's `--...-env NAME` option), or None."""
    return os.environ.get(name) or None


@contextmanager
def warehouse_option(url: str | None) -> Iterator[None]:
    """Within the block, this process's settings take their warehouse URL from the command line's
    `--warehouse`: the flows run here read it from MQL_WAREHOUSE_URL, since a flow parameter is
    stored and shown by Prefect and the URL may hold a password."""
    if url is None:
        yield
        return
    from tasks.warehouse.connection import parse_url

    parse_url(url, "--warehouse")
    names = ("MQL_WAREHOUSE_URL", "MQL_WAREHOUSE_URL_SECRET_BLOCK")
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ["MQL_WAREHOUSE_URL"] = url  # the option wins over a configured Secret block too
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _secret_value(name: str, setting: str) -> Any:
    """The value a Prefect Secret block holds (text, or a JSON value); a block that cannot be read is
    one line naming the setting, never its value."""
    from prefect.blocks.system import Secret

    try:
        return Secret.load(name).get()
    except Exception as exc:  # no such block, or the Prefect API unreachable: one line either way
        from tasks.warehouse.connection import first_line

        raise ConfigError(f"{setting}: cannot read the Secret block {name!r}: {first_line(exc)}") from None


def read_secret_block(name: str) -> str:
    """The text a Prefect Secret block holds."""
    value = _secret_value(name, "MQL_WAREHOUSE_URL_SECRET_BLOCK")
    if not isinstance(value, str):
        raise ConfigError(f"MQL_WAREHOUSE_URL_SECRET_BLOCK: the Secret block {name!r} holds a "
                          f"{type(value).__name__}, not a URL")
    return value


def read_storage_block(name: str) -> dict[str, Any]:
    """The fsspec storage options a Prefect Secret block holds: a JSON object, as text or as a value."""
    import json

    value = _secret_value(name, "MQL_STORAGE_BLOCK")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise ConfigError(f"MQL_STORAGE_BLOCK: the Secret block {name!r} does not hold a JSON object of storage "
                          'options (for s3://, {"key": ..., "secret": ..., "client_kwargs": {...}})')
    return value
