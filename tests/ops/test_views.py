"""The funnel views (sql/views/9x_*.sql) give the same, exact numbers on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from tasks.warehouse.connection import bulk_insert, open_warehouse

T = pd.Timestamp

# lead: source, campaign, cohort day, created, {stage: reached at}, [(segment, entered)]
LEADS = {
    "A": ("webinar", "c1", "2026-03-01", "2026-03-01T10:00Z",
          {"mql": "2026-03-02T10:00Z", "sales_accepted": "2026-03-02T16:00Z", "sql": "2026-03-03T09:00Z",
           "customer": "2026-03-04T09:00Z"}, [("educational", "2026-03-01T12:00Z")]),
    "B": ("webinar", "c1", "2026-03-01", "2026-03-01T00:00Z", {"mql": "2026-03-01T12:00Z"},
          [("awareness", "2026-03-01T01:00Z"), ("educational", "2026-03-02T01:00Z")]),
    # Across the end of February, and of a year: the day arithmetic must hold.
    "C": ("paid_search", None, "2026-03-01", "2026-02-28T23:00Z",
          {"mql": "2026-03-01T01:00Z", "sales_accepted": "2026-03-01T05:00Z"}, []),
    "D": ("paid_search", "c2", "2026-03-02", "2026-03-02T08:00Z", {}, [("educational", "2026-03-02T09:00Z")]),
    "E": ("event", "c2", "2025-12-31", "2025-12-31T23:30Z", {"mql": "2026-01-01T00:30Z"}, []),
    # Won by sales without ever being an MQL: not an MQL.
    "F": ("partner", "c3", "2026-03-02", "2026-03-02T08:00Z",
          {"sales_accepted": "2026-03-02T10:00Z", "customer": "2026-03-05T10:00Z"}, []),
}
REJECTED = [("2026-03-01", "rejected"), ("2026-03-01", "rejected"), ("2026-03-01", "quarantined"),
            ("2026-03-02", "rejected")]


def filled(engine: sa.Engine, schema: str, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` plus a neutral value for every other NOT NULL column of the table."""
    inspector = sa.inspect(engine)
    columns = inspector.get_columns(table, schema=schema if engine.dialect.name == "postgresql" else None)
    for column in columns:
        if column["name"] in frame or column["nullable"]:
            continue
        kind = str(column["type"]).upper()
        frame[column["name"]] = (False if "BOOL" in kind else 0 if any(k in kind for k in ("INT", "DOUB", "FLOAT",
                                 "NUM", "REAL")) else T("2026-03-01T00:00Z") if "TIMESTAMP" in kind
                                 else "2026-03-01" if "DATE" in kind else "")
    return frame


@pytest.fixture
def journeys(warehouse):
    url, schema = warehouse
    engine = open_warehouse(url, schema)
    leads = pd.DataFrame([{"lead_id": k, "lead_source": s, "campaign": c, "first_run_date": d,
                           "last_run_date": d, "created_at": T(t), "lifecycle_stage": "lead"}
                          for k, (s, c, d, t, _, _) in LEADS.items()])
    events = pd.DataFrame([{"run_date": str(T(at).date()), "lead_id": k, "seq": i, "to_stage": stage,
                            "occurred_at": T(at), "cause": "score"}
                           for k, (*_, reached, _) in LEADS.items() for i, (stage, at) in enumerate(reached.items())])
    enrollments = pd.DataFrame([{"lead_id": k, "segment": seg, "entered_run_date": str(T(at).date()),
                                 "entered_at": T(at)}
                                for k, (*_, segments) in LEADS.items() for seg, at in segments])
    rejected = pd.DataFrame([{"run_date": d, "row_number": i, "disposition": disp, "reasons": "x", "raw": "{}"}
                             for i, (d, disp) in enumerate(REJECTED)])
    with engine.begin() as conn:
        for table, frame in (("leads", leads), ("mql_events", events), ("nurture_enrollments", enrollments),
                             ("rejected_leads", rejected)):
            bulk_insert(conn, table, filled(engine, schema, table, frame))
    yield engine
    engine.dispose()


def rows(engine: sa.Engine, dimension: str) -> dict[str, dict]:
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT * FROM funnel_metrics WHERE dimension = :d"), {"d": dimension})
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return {str(r["value"]): r for r in frame.to_dict("records")}


def test_journeys_measure_hours_across_month_and_year_ends(journeys):
    with journeys.connect() as conn:
        frame = pd.read_sql(sa.text("SELECT lead_id, segment, hours_to_mql, hours_mql_to_sales_accepted, "
                                    "reached_mql, reached_sales_accepted, reached_sql, reached_won "
                                    "FROM lead_journeys ORDER BY lead_id"), conn).set_index("lead_id")
    assert frame["hours_to_mql"].round(6).tolist()[:3] == [24.0, 12.0, 2.0]
    assert frame.loc["E", "hours_to_mql"] == pytest.approx(1.0)
    assert pd.isna(frame.loc["D", "hours_to_mql"])
    assert frame.loc["A", "hours_mql_to_sales_accepted"] == pytest.approx(6.0)
    assert frame.loc["C", "hours_mql_to_sales_accepted"] == pytest.approx(4.0)
    assert frame["segment"].tolist() == ["educational", "awareness", "(none)", "educational", "(none)", "(none)"]
    assert frame[["reached_mql", "reached_sales_accepted", "reached_sql", "reached_won"]].loc["A"].tolist() == [1] * 4
    assert frame[["reached_mql", "reached_sales_accepted", "reached_sql", "reached_won"]].loc["F"].tolist() == [
        0, 1, 1, 1]  # a later sales stage passes the earlier ones; MQL only if it became one


def test_funnel_metrics_by_day_source_campaign_and_segment(journeys):
    day = rows(journeys, "day")
    assert set(day) == {"2025-12-31", "2026-03-01", "2026-03-02"}
    first = day["2026-03-01"]
    assert (first["leads"], first["rejects"], first["mqls"], first["sales_accepted"], first["sqls"], first["won"]) \
        == (3, 2, 3, 2, 1, 1)
    assert first["mql_rate"] == pytest.approx(1.0)
    assert first["mql_to_sales_accepted_rate"] == pytest.approx(2 / 3)
    assert first["sales_accepted_to_sql_rate"] == pytest.approx(0.5)
    assert first["sql_to_won_rate"] == pytest.approx(1.0) and first["mql_to_won_rate"] == pytest.approx(1 / 3)
    assert float(first["median_hours_to_mql"]) == pytest.approx(12.0)                  # of 24, 12, 2
    assert float(first["median_hours_mql_to_sales_accepted"]) == pytest.approx(5.0)    # of 6, 4
    assert (first["won_via_mql"], first["won_without_mql"]) == (1, 0)
    second = day["2026-03-02"]
    assert (second["leads"], second["rejects"], second["mqls"], second["mql_rate"]) == (2, 1, 0, 0)
    assert (second["won"], second["won_via_mql"], second["won_without_mql"], second["won_rate"]) == (1, 0, 1, 0.5)
    assert second["mql_to_sales_accepted_rate"] is None or pd.isna(second["mql_to_sales_accepted_rate"])
    assert second["mql_to_won_rate"] is None or pd.isna(second["mql_to_won_rate"])

    source = rows(journeys, "lead_source")
    assert {k: (v["leads"], v["mqls"]) for k, v in source.items()} == {
        "webinar": (2, 2), "paid_search": (2, 1), "event": (1, 1), "partner": (1, 0)}
    assert float(source["webinar"]["median_hours_to_mql"]) == pytest.approx(18.0)   # of 24, 12
    assert source["paid_search"]["mql_rate"] == pytest.approx(0.5)
    assert source["webinar"]["rejects"] is None or pd.isna(source["webinar"]["rejects"])
    assert {k: v["leads"] for k, v in rows(journeys, "campaign").items()} == {"c1": 2, "c2": 2, "c3": 1, "(none)": 1}
    segment = rows(journeys, "segment")
    assert {k: v["mqls"] for k, v in segment.items()} == {"educational": 1, "awareness": 1, "(none)": 2}
    assert (segment["(none)"]["won"], segment["(none)"]["won_without_mql"]) == (1, 1)


def test_views_survive_reopening(journeys, warehouse):
    # The DDL runs on every open: dropping and re-creating the views must work on a loaded warehouse.
    again = open_warehouse(*warehouse)
    assert rows(again, "day")["2026-03-01"]["leads"] == 3
    again.dispose()


def test_the_dashboards_ranking_groups_leads_by_their_first_day_score(journeys, warehouse):
    from datetime import date

    from tasks.warehouse.connection import query

    # First-day scores (a later day's score of A does not count); F has none on its first day.
    scores = pd.DataFrame([{"run_date": d, "lead_id": k, "total_score": s, "grade": "B", "model_version": "v"}
                           for k, d, s in (("A", "2026-03-01", 61.6), ("A", "2026-03-02", 10.0),
                                           ("B", "2026-03-01", 62.4), ("C", "2026-03-01", 20.0),
                                           ("D", "2026-03-02", 20.2), ("E", "2025-12-31", 90.0),
                                           ("F", "2026-03-03", 5.0))])
    with journeys.begin() as conn:
        bulk_insert(conn, "lead_scores", filled(journeys, warehouse[1], "lead_scores", scores))
    with journeys.connect() as conn:
        ranking = query(conn, "dashboard_ranking", {"since": date(2026, 3, 1), "through": date(2026, 3, 31)})
    assert [(float(r.score), int(r.leads), int(r.sales_accepted), int(r.won)) for r in ranking.itertuples()] == [
        (20.0, 2, 1, 0), (62.0, 2, 1, 1)]


def test_the_source_systems_own_mql_flag_beside_this_products_mqls(journeys, warehouse):
    url, schema = warehouse
    # A and D flagged by the source (A twice), F too (won without this product's MQL); one row unattributed.
    flags = pd.DataFrame([{"run_date": "2026-03-03", "row_number": i, "source_system": "crm", "source_lead_id": lead or "x",
                           "lead_id": lead, "occurred_at": T(at), "status": "mql"}
                          for i, (lead, at) in enumerate([("A", "2026-03-02T09:00Z"), ("A", "2026-03-03T09:00Z"),
                                                          ("D", "2026-03-03T09:00Z"), ("F", "2026-03-02T09:00Z"),
                                                          (None, "2026-03-03T09:00Z")])])
    with journeys.begin() as conn:
        bulk_insert(conn, "source_lifecycle", flags)
    with journeys.connect() as conn:
        frame = pd.read_sql(sa.text("SELECT lead_id, source_flagged_mql, mql_both, mql_source_only, mql_product_only "
                                    "FROM lead_journeys ORDER BY lead_id"), conn).set_index("lead_id")
    assert frame.to_dict("index") == {
        "A": {"source_flagged_mql": 1, "mql_both": 1, "mql_source_only": 0, "mql_product_only": 0},
        "B": {"source_flagged_mql": 0, "mql_both": 0, "mql_source_only": 0, "mql_product_only": 1},
        "C": {"source_flagged_mql": 0, "mql_both": 0, "mql_source_only": 0, "mql_product_only": 1},
        "D": {"source_flagged_mql": 1, "mql_both": 0, "mql_source_only": 1, "mql_product_only": 0},
        "E": {"source_flagged_mql": 0, "mql_both": 0, "mql_source_only": 0, "mql_product_only": 1},
        "F": {"source_flagged_mql": 1, "mql_both": 0, "mql_source_only": 1, "mql_product_only": 0}}
    compared = ("mqls", "source_mqls", "mqls_both", "mqls_source_only", "mqls_product_only")
    day = rows(journeys, "day")
    assert {k: tuple(int(v[c]) for c in compared) for k, v in day.items()} == {
        "2025-12-31": (1, 0, 0, 0, 1), "2026-03-01": (3, 1, 1, 0, 2), "2026-03-02": (0, 2, 0, 2, 0)}
    assert day["2026-03-01"]["source_mql_to_won_rate"] == pytest.approx(1.0)   # A won
    assert day["2026-03-02"]["source_mql_to_won_rate"] == pytest.approx(0.5)   # F won, D not
    assert day["2025-12-31"]["source_mql_to_won_rate"] is None or pd.isna(day["2025-12-31"]["source_mql_to_won_rate"])
    source = rows(journeys, "lead_source")
    assert {k: tuple(int(v[c]) for c in compared) for k, v in source.items()} == {
        "webinar": (2, 1, 1, 0, 1), "paid_search": (1, 1, 0, 1, 1), "event": (1, 0, 0, 0, 1),
        "partner": (0, 1, 0, 1, 0)}


def test_every_join_of_the_funnel_views_is_looked_up_not_scanned_per_lead(journeys, warehouse):
    """SQLite indexes a CTE read once, never one read more than once: a join to one of those is a
    scan for each lead (the views took minutes at 100 000 leads). Every join of lead_journeys, and
    of funnel_metrics and the dashboard query built on it, must be a look-up."""
    from tasks.warehouse.connection import sql_statement

    engine = journeys
    with engine.connect() as conn:
        # (PostgreSQL plans these joins by hash whatever the CTEs: its plans are not checked.)
        for statement in ("SELECT * FROM lead_journeys", "SELECT * FROM funnel_metrics",
                          sql_statement("dashboard_funnel")) if engine.dialect.name == "sqlite" else ():
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement)]
            scanned_joins = [step for step in plan if step.startswith("SCAN") and "LEFT-JOIN" in step]
            assert plan and scanned_joins == [], (statement, plan)
        funnel = pd.read_sql(sa.text(sql_statement("dashboard_funnel")), conn)
        metrics = pd.read_sql(sa.text(
            "SELECT dimension, value, leads, mqls, mql_rate, sales_accepted, sqls, won FROM funnel_metrics "
            "WHERE dimension IN ('lead_source', 'day') ORDER BY dimension, value"), conn)
    assert set(funnel["dimension"]) == {"lead_source", "day"}
    # The dashboard's own query counts as funnel_metrics does, for the two dimensions it draws.
    assert list(funnel.columns) == ["dimension", "value", "leads", "mqls", "mql_rate", "sales_accepted", "sqls", "won"]
    pd.testing.assert_frame_equal(funnel, metrics, check_dtype=False)
    assert funnel.groupby("dimension")["leads"].sum().to_dict() == {"lead_source": len(LEADS), "day": len(LEADS)}
