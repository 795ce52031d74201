"""The one place that reads the environment: which warehouse, extracts, model and rules a run uses."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
CONFIG_DIR = PROJECT_ROOT / "config"


class Settings(BaseSettings):
    """Run settings; each can be set as an `MQL_<NAME>` environment variable or a CLI option."""

    model_config = SettingsConfigDict(env_prefix="MQL_", extra="ignore")

    warehouse_url: str = Field(
        "sqlite:///mql_warehouse.db",
        description="SQLAlchemy URL of the warehouse; the default is an embedded SQLite file.",
    )
    warehouse_schema: str = Field(
        "mql", description="Schema holding the tables on databases that have schemas (PostgreSQL)."
    )
    extracts_dir: Path = Field(
        Path("extracts"), description="Folder holding one <YYYY-MM-DD>/ folder of extracts per run date."
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
                          "default: <reports_dir>/data_docs, beside the run reports."
    )
    reports_dir: Path = Field(
        Path("reports"), description="Folder for the per-run HTML reports (<run date>/<run id>.html)."
    )
    monitoring_path: Path = Field(
        CONFIG_DIR / "monitoring.yaml", description="Anomaly-check thresholds (trailing baseline) YAML file."
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
    match_key_secret: SecretStr | None = Field(
        None, description="Secret that keys the hashes of match keys and erasure tombstones (at least 16 "
                          "characters; never logged). Unset: a SQLite warehouse uses the random key in the "
                          "`<file>.match-key` file beside it (made on first use); other warehouses refuse to run."
    )


def secret_from_environment(name: str) -> str | None:
    """The value of the environment variable `name` (a command's `--...-env NAME` option), or None."""
    return os.environ.get(name) or None
