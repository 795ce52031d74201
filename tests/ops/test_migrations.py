"""Schema revisions: new warehouses stamped at head, older ones upgraded by `mql upgrade` (or a run
with MQL_AUTO_UPGRADE) to exactly the schema of a new one, newer or behind ones refused in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app
from tasks.warehouse import migrations
from tasks.errors import WarehouseError
from tasks.warehouse.connection import open_warehouse, statements
from tests.conftest import read_sql

FIXTURES = Path(__file__).parent / "fixtures"


def engine_in(url: str, schema: str) -> sa.Engine:
    """A plain engine on the warehouse, tables addressed in `schema` on PostgreSQL."""
    if url.startswith("postgresql"):
        return sa.create_engine(url, connect_args={"options": f'-c search_path="{schema}"'})
    return sa.create_engine(url)


def build_baseline(url: str, schema: str) -> None:
    """A warehouse as the release before migrations left it: the baseline tables, no alembic_version."""
    engine = engine_in(url, schema)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.schema.CreateSchema(schema))
        baseline = (FIXTURES / f"baseline_schema.{conn.dialect.name}.sql").read_text(encoding="utf-8")
        for statement in statements(baseline):
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("INSERT INTO runs (run_id, run_date, status, parameters, started_at, code_version, "
                             "model_version) VALUES ('old-run', '2026-03-01', 'succeeded', '{}', "
                             "'2026-03-02T01:00:00+00:00', 'v0', 'm0')")
    engine.dispose()


def structure(url: str, schema: str, ignore_columns: frozenset[str] = frozenset()) -> dict:
    """Tables with their columns, keys and indexes, and views, as SQLAlchemy's inspector reads them."""
    engine = engine_in(url, schema)
    where = schema if engine.dialect.name == "postgresql" else None
    inspector = sa.inspect(engine)
    found = {}
    for table in inspector.get_table_names(schema=where):
        found[table] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                              for c in inspector.get_columns(table, schema=where) if c["name"] not in ignore_columns),
            "primary key": inspector.get_pk_constraint(table, schema=where)["constrained_columns"],
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]),
                               i.get("dialect_options", {}).get("postgresql_using", "btree"))
                              for i in inspector.get_indexes(table, schema=where)),
            "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table, schema=where)),
        }
    found["views"] = {view: " ".join(inspector.get_view_definition(view, schema=where).split())
                      for view in inspector.get_view_names(schema=where)}
    engine.dispose()
    return found


def version(url: str, schema: str) -> list[str]:
    return read_sql(url, "SELECT version_num FROM alembic_version", schema)["version_num"].tolist()


def other_warehouse(url: str, schema: str, tmp_path: Path, request) -> tuple[str, str]:
    """A second empty warehouse beside `url` (another file, or another schema dropped afterwards)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}", schema
    other = schema + "_b"

    def drop() -> None:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(other, cascade=True, if_exists=True))
        engine.dispose()

    request.addfinalizer(drop)
    return url, other


def test_revisions_form_one_line_from_the_baseline():
    scripts = migrations._scripts()
    assert len(scripts.get_heads()) == 1
    chain = [s.revision for s in scripts.walk_revisions()]  # head first
    assert chain[-1] == migrations.BASELINE and chain[0] == migrations.head()


def test_a_new_warehouse_is_stamped_at_head_in_its_schema(warehouse):
    url, schema = warehouse
    open_warehouse(url, schema).dispose()
    open_warehouse(url, schema).dispose()  # a second open changes nothing
    assert version(url, schema) == [migrations.head()]
    if url.startswith("postgresql"):
        tables = read_sql(url, "SELECT table_schema FROM information_schema.tables "
                               "WHERE table_name = 'alembic_version' AND table_schema = :s", s=schema)
        assert tables["table_schema"].tolist() == [schema]


def test_upgrade_from_the_baseline_gives_the_schema_of_a_new_warehouse(warehouse, tmp_path, request):
    url, schema = warehouse
    build_baseline(url, schema)
    engine = engine_in(url, schema)
    with engine.begin() as conn:  # a column of the user's own: kept, with its values
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN owner_note TEXT")
        conn.exec_driver_sql("UPDATE runs SET owner_note = 'kept' WHERE run_id = 'old-run'")
    engine.dispose()

    result = CliRunner().invoke(app, ["upgrade", "--warehouse", url], env={"MQL_WAREHOUSE_SCHEMA": schema})
    assert result.exit_code == 0, result.output
    head = migrations.head()
    assert (f"upgraded from revision 0001 to {head}" if head != "0001" else "is at revision 0001") in result.output
    assert version(url, schema) == [head]
    kept = read_sql(url, "SELECT run_id, owner_note FROM runs", schema)
    assert kept.values.tolist() == [["old-run", "kept"]]

    fresh_url, fresh_schema = other_warehouse(url, schema, tmp_path, request)
    open_warehouse(fresh_url, fresh_schema).dispose()
    upgraded = structure(url, schema, ignore_columns=frozenset({"owner_note"}))
    assert upgraded == structure(fresh_url, fresh_schema)
    assert len(upgraded) > 20 and upgraded["leads"]["columns"]
    # Activities are looked up by lead through a hash index on PostgreSQL, a B-tree on SQLite (0014).
    lead_index = {"sqlite": ("activities_lead", ("lead_id", "occurred_at"), False, "btree"),
                  "postgresql": ("activities_lead", ("lead_id",), False, "hash")}[sa.make_url(url).get_backend_name()]
    assert lead_index in upgraded["activities"]["indexes"]

    again = CliRunner().invoke(app, ["upgrade", "--warehouse", url], env={"MQL_WAREHOUSE_SCHEMA": schema})
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_a_baseline_warehouse_is_opened_and_stamped_at_the_baseline(warehouse):
    url, schema = warehouse
    build_baseline(url, schema)
    engine = engine_in(url, schema)
    with engine.connect() as conn:
        assert migrations.warehouse_revision(conn, schema) == migrations.Revision("0001", stamped=False)
    engine.dispose()


NEXT_REVISION = '''"""A later release's change (test): a column on runs."""
from alembic import op
import sqlalchemy as sa

revision = "9001"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("test_note", sa.Text()))
    op.create_index("runs_test_note", "runs", ["test_note"])
    {then}


def downgrade() -> None:
    pass
'''


def next_release(tmp_path: Path, monkeypatch, then: str = "pass") -> str:
    """Act as the release after this one: the migrations folder plus a revision adding runs.test_note
    (`then`: a last statement of its upgrade)."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "9001_test_note.py").write_text(
        NEXT_REVISION.format(down=migrations.head(), then=then), encoding="utf-8")
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", folder)
    migrations._scripts.cache_clear()
    return "9001"


@pytest.fixture(autouse=True)
def _fresh_scripts():
    yield
    migrations._scripts.cache_clear()


def test_a_warehouse_behind_this_release_is_refused_by_a_run_then_upgraded(warehouse, tmp_path, monkeypatch):
    url, schema = warehouse
    before = migrations.head()
    open_warehouse(url, schema).dispose()
    head = next_release(tmp_path, monkeypatch)
    monkeypatch.setenv("MQL_WAREHOUSE_SCHEMA", schema)

    for command in (["status"], ["run", "--date", "2026-03-02", "--extracts", str(tmp_path)]):
        result = CliRunner().invoke(app, [*command, "--warehouse", url])
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"error: warehouse {url} is at revision {before}, this release needs {head}: run `mql upgrade` "
            "(or set MQL_AUTO_UPGRADE=true)"]
    assert version(url, schema) == [before]

    # A run may upgrade it itself when the setting says so.
    from flows.nightly import open_run_warehouse, resolve_settings

    monkeypatch.setenv("MQL_AUTO_UPGRADE", "true")
    open_run_warehouse(resolve_settings(warehouse_url=url)).dispose()
    assert version(url, schema) == [head]
    assert "test_note" in read_sql(url, "SELECT * FROM runs", schema).columns


def test_a_failed_upgrade_leaves_the_warehouse_as_it_was(warehouse, tmp_path, monkeypatch):
    url, schema = warehouse
    before = migrations.head()
    open_warehouse(url, schema).dispose()
    next_release(tmp_path, monkeypatch, then='op.execute("SELECT no_such_column FROM runs")')
    result = CliRunner().invoke(app, ["upgrade", "--warehouse", url], env={"MQL_WAREHOUSE_SCHEMA": schema})
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "cannot upgrade warehouse" in result.output
    assert "no_such_column" in result.output
    assert version(url, schema) == [before]
    assert "test_note" not in read_sql(url, "SELECT * FROM runs", schema).columns


def test_a_warehouse_ahead_of_this_release_is_refused_in_one_line(warehouse):
    url, schema = warehouse
    open_warehouse(url, schema).dispose()
    engine = engine_in(url, schema)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(WarehouseError) as refused:
        open_warehouse(url, schema)
    assert str(refused.value) == (f"warehouse {url} is at revision 9999, which this release does not know "
                                  f"(its newest is {migrations.head()}): it was upgraded by a newer release; "
                                  "use that release")
    result = CliRunner().invoke(app, ["upgrade", "--warehouse", url], env={"MQL_WAREHOUSE_SCHEMA": schema})
    assert result.exit_code == 2 and "9999" in result.output
    assert version(url, schema) == ["9999"]


USER_COLUMNS = ("leads", "lead_history", "activities", "lead_scores", "runs")


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_api")
def test_columns_a_user_added_do_no_harm_to_runs_and_reruns(in_schema, generated):
    from flows.nightly import backfill
    from tests.conftest import FIRST_DAY
    from tests.flows.test_nightly import RESULT_TABLES, assert_same, snapshot

    url, schema = in_schema
    open_warehouse(url, schema).dispose()
    engine = engine_in(url, schema)
    with engine.begin() as conn:
        for table in USER_COLUMNS:
            conn.exec_driver_sql("ALTER TABLE " + conn.dialect.identifier_preparer.quote(table)
                                 + " ADD COLUMN owner_note TEXT")
    engine.dispose()
    last = FIRST_DAY + pd.Timedelta(days=2)
    backfill(start_date=FIRST_DAY, end_date=last, extracts_dir=str(generated), warehouse_url=url)
    engine = engine_in(url, schema)
    with engine.begin() as conn:  # the user's notes on the first day's rows, which a re-run of day 2 keeps
        conn.execute(sa.text("UPDATE leads SET owner_note = 'mine' WHERE last_run_date = :d"), {"d": FIRST_DAY})
        conn.execute(sa.text("UPDATE activities SET owner_note = 'mine' WHERE run_date = :d"), {"d": FIRST_DAY})
    engine.dispose()
    before = snapshot(url, schema, RESULT_TABLES)
    summaries = backfill(start_date=FIRST_DAY + pd.Timedelta(days=1), end_date=FIRST_DAY + pd.Timedelta(days=1),
                         extracts_dir=str(generated), warehouse_url=url)
    assert [s.status for s in summaries] == ["succeeded", "succeeded"]  # day 2 and the later day 3
    assert_same(before, snapshot(url, schema, RESULT_TABLES))  # same rows, the user's values where they were
    notes = read_sql(url, "SELECT count(*) AS n FROM activities WHERE owner_note = 'mine'", schema)["n"][0]
    assert notes > 0
    runs = read_sql(url, "SELECT status, owner_note FROM runs", schema)
    assert set(runs["status"]) == {"succeeded", "superseded"} and runs["owner_note"].isna().all()
