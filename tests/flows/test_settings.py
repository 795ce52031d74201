"""Where a run's files go when nothing says: beside the warehouse, never the working folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.settings import Settings


@pytest.fixture(autouse=True)
def no_location_settings(monkeypatch):
    for name in ("MQL_REPORTS_DIR", "MQL_DATA_DOCS_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_a_sqlite_warehouse_keeps_its_reports_beside_its_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'sales' / 'warehouse.db'}")
    assert settings.reports_location == tmp_path / "sales" / "warehouse-reports"
    assert settings.data_docs_location == tmp_path / "sales" / "warehouse-reports" / "data_docs"


def test_a_relative_sqlite_file_is_resolved_from_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings().reports_location == tmp_path / "mql_warehouse-reports"


def test_a_server_warehouse_reports_to_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = Settings(warehouse_url="postgresql+psycopg://app:secret@db.example:5432/analytics",
                        warehouse_schema="Mql")
    expected = tmp_path / "data" / "mql-pipeline" / "reports" / "postgresql-db.example-analytics-Mql"
    assert settings.reports_location == expected
    assert "secret" not in str(settings.reports_location)
    monkeypatch.delenv("XDG_DATA_HOME")
    assert settings.reports_location == Path.home() / ".local/share/mql-pipeline/reports" / expected.name


def test_configured_folders_win(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MQL_REPORTS_DIR", "out/reports")
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}")
    assert settings.reports_location == tmp_path / "out" / "reports"
    assert settings.data_docs_location == tmp_path / "out" / "reports" / "data_docs"
    monkeypatch.setenv("MQL_DATA_DOCS_DIR", str(tmp_path / "docs"))
    assert Settings().data_docs_location == tmp_path / "docs"
    assert settings.reports_copy_to is None


def test_a_remote_reports_location_gets_copies_of_a_working_copy_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("MQL_REPORTS_DIR", "s3://reports-bucket/mql")
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}")
    assert settings.reports_location == tmp_path / "w-reports" and settings.reports_copy_to == "s3://reports-bucket/mql"
    monkeypatch.setenv("MQL_REPORTS_DIR", f"file://{tmp_path / 'out'}")
    settings = Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}")
    assert settings.reports_location == tmp_path / "out" and settings.reports_copy_to is None
