"""The MQL lifecycle across run dates: decay recycles an idle MQL on the day it crosses the exit level."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from typer.testing import CliRunner

from flows.cli import app
from flows.nightly import backfill
from tasks.reporting.explain import explain
from tasks.warehouse.connection import open_warehouse
from tests.conftest import FIRST_DAY

pytestmark = pytest.mark.usefixtures("prefect_api")
MODEL = Path(__file__).resolve().parents[2] / "config" / "scoring_model.yaml"


def write_day(root: Path, offset: int, leads: list[dict], activities: list[dict]) -> None:
    folder = root / str(FIRST_DAY + timedelta(days=offset))
    folder.mkdir(parents=True)
    base = {"source_system": "hubspot", "created_at": f"{FIRST_DAY + timedelta(days=offset)}T09:00:00Z",
            "email_consent": "true"}
    pd.DataFrame([{**base, **lead} for lead in leads]).to_csv(folder / "leads.csv", index=False)
    if activities:
        pd.DataFrame(activities).to_csv(folder / "activities.csv", index=False)


def activity(lead: str, n: int, kind: str) -> dict:
    return {"source_system": "hubspot", "activity_id": f"{lead}-{n}", "source_lead_id": lead,
            "occurred_at": f"{FIRST_DAY}T10:0{n}:00Z", "activity_type": kind, "asset": "/pricing"}


def history(conn, source_lead_id: str, sql: str) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(sa.text(sql), {"id": source_lead_id}).mappings().all())


def test_idle_mql_is_recycled_by_decay_on_the_day_it_crosses(in_schema, tmp_path):
    url, schema = in_schema
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.read_text().replace("half_life_days: 14", "half_life_days: 1"))
    # Fit 33 (manager, retail, 50 people, US), fit 75 (VP marketing, software, 500 people, US).
    ann = {"source_lead_id": "ann", "email": "ann@shop.com", "job_title": "Store Manager", "industry": "Retail",
           "employee_count": "50", "country": "US", "company": "Shop"}
    bob = {"source_lead_id": "bob", "email": "bob@acme.com", "job_title": "VP Marketing", "industry": "Software",
           "employee_count": "500", "country": "US", "company": "Acme"}
    kinds = ["demo_request", "trial_signup", "pricing_page_view"]
    write_day(tmp_path / "x", 0, [ann, bob], [activity(who, i, k) for who in ("ann", "bob")
                                              for i, k in enumerate(kinds)])
    for offset in range(1, 5):  # later days bring only other people
        write_day(tmp_path / "x", offset, [{"source_lead_id": f"o{offset}", "email": f"o{offset}@other.com"}], [])

    backfill(start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=4), extracts_dir=str(tmp_path / "x"),
             warehouse_url=url, model_path=str(model))

    engine = open_warehouse(url, schema)
    with engine.connect() as conn:
        events = history(conn, "ann", "SELECT e.run_date, e.to_stage, e.cause, e.occurred_at FROM mql_events e "
                                      "JOIN lead_identities i ON i.lead_id = e.lead_id "
                                      "WHERE i.source_lead_id = :id ORDER BY e.run_date, e.seq")
        ann_scores = history(conn, "ann", "SELECT s.run_date, s.total_score FROM lead_scores s JOIN lead_identities i "
                                          "ON i.lead_id = s.lead_id WHERE i.source_lead_id = :id ORDER BY s.run_date")
        bob_scores = history(conn, "bob", "SELECT s.run_date FROM lead_scores s JOIN lead_identities i "
                                          "ON i.lead_id = s.lead_id WHERE i.source_lead_id = :id")
        leads = history(conn, "", "SELECT email, lifecycle_stage, first_mql_at, review_on FROM leads").set_index("email")
    engine.dispose()
    day = [str(FIRST_DAY + timedelta(days=d)) for d in range(5)]
    # Day 0: 33 + 85 = 118, an MQL. Then 33 + 85 * 0.5**d: 75.5 on day 1, 54.25 on day 2 < 60.
    assert events[["to_stage", "cause"]].values.tolist() == [["lead", "new"], ["mql", "score"],
                                                               ["recycled", "score"]]
    assert [str(d)[:10] for d in events["run_date"]] == [day[0], day[0], day[2]]
    assert str(events["occurred_at"][2])[:10] == day[2]
    # Scored on the day it acted and on the day decay was due, never in between.
    assert [str(d)[:10] for d in ann_scores["run_date"]] == [day[0], day[2]]
    assert ann_scores["total_score"].tolist() == pytest.approx([118.0, 33 + 85 * 0.25])
    assert leads.loc["ann@shop.com", "lifecycle_stage"] == "recycled"
    assert leads.loc["ann@shop.com", "first_mql_at"] is not None
    # Bob's fit alone holds him above the exit level: no review is scheduled, no rescoring.
    assert leads.loc["bob@acme.com", "lifecycle_stage"] == "mql" and leads.loc["bob@acme.com", "review_on"] is None
    assert [str(d)[:10] for d in bob_scores["run_date"]] == [day[0]]

    # `mql explain` shows the same story, as of any date.
    engine = open_warehouse(url, schema)
    with engine.connect() as conn:
        on_day_1 = explain(conn, "hubspot/ann", FIRST_DAY + timedelta(days=1))
        latest = explain(conn, "hubspot/ann", date.max)
    engine.dispose()
    assert str(on_day_1.score["run_date"])[:10] == day[0] and on_day_1.score["total_score"] == 118.0
    assert on_day_1.events["to_stage"].tolist() == ["lead", "mql"]
    ledger = latest.contributions.set_index("rule")
    assert ledger.loc["trial_signup", "decay_factor"] == pytest.approx(0.25)
    assert ledger["points"].sum() == pytest.approx(latest.score["total_score"])
    result = CliRunner().invoke(app, ["explain", "--lead", "hubspot/ann", "--warehouse", url])
    assert result.exit_code == 0, result.output
    assert "recycled" in result.output and "total 54.2" in result.output
