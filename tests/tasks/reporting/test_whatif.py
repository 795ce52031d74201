"""The what-if comparison on small hand-made sides: funnel figures, conversions and gained/lost leads."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tasks.reporting.whatif import changed_leads, compare, figures, lead_frame

START, END = date(2026, 3, 2), date(2026, 3, 15)  # two weeks


def side(mql_dates: dict[str, str | None]) -> pd.DataFrame:
    """Four leads: L1 and L2 arrive on the first day (web), L3 on the fifth (event), L0 before the range."""
    rows = {"L0": ("2026-02-20", "event", "(none)"), "L1": ("2026-03-02", "web", "educational"),
            "L2": ("2026-03-02", "web", "(none)"), "L3": ("2026-03-06", "event", "(none)")}
    return pd.DataFrame([{"lead_id": lead, "cohort_date": rows[lead][0], "lead_source": rows[lead][1],
                          "segment": rows[lead][2], "mql_date": mql_dates.get(lead)} for lead in rows])


OUTCOMES = pd.DataFrame({"lead_id": ["L0", "L1", "L1", "L2", "L3"],
                         "run_date": ["2026-03-20", "2026-03-01", "2026-03-10", "2026-03-12", "2026-03-20"],
                         "status": ["won", "won", "sales_accepted", "opportunity", "won"]})


def test_funnel_figures_count_conversions_after_the_mql_date():
    live = lead_frame(side({"L0": "2026-03-03", "L1": "2026-03-04"}), OUTCOMES)
    got = figures(live, START, END)
    # L1's win loaded before it became an MQL does not count; its acceptance after does.
    assert got == {"leads": 3, "mqls": 2, "mqls_per_week": 1.0, "lead_to_mql_rate": 0.3333,
                   "mql_to_sales_accepted_rate": 1.0, "mql_to_sql_rate": 0.5, "mql_to_won_rate": 0.5,
                   "median_days_to_mql": 6.5}
    assert figures(live.iloc[:0], START, END)["mql_to_won_rate"] is None


def test_gained_and_lost_leads_with_their_totals_on_the_date():
    live = lead_frame(side({"L0": "2026-03-03", "L1": "2026-03-04"}), OUTCOMES)
    whatif = lead_frame(side({"L1": "2026-03-04", "L2": "2026-03-05", "L3": "2026-03-06"}), OUTCOMES)
    assert changed_leads(live, whatif) == ["L0", "L2", "L3"]
    scores = {"live": pd.DataFrame({"lead_id": ["L0", "L2", "L3"], "run_date": ["2026-03-03", "2026-03-05", "2026-03-06"],
                                    "fit_score": [40.0, 35.0, 50.0], "total_score": [95.0, 80.0, 72.5]}),
              "whatif": pd.DataFrame({"lead_id": ["L0", "L2", "L3"],
                                      "run_date": ["2026-03-03", "2026-03-05", "2026-03-06"],
                                      "fit_score": [30.0, 35.0, 50.0], "total_score": [85.0, 80.0, 72.5]})}
    report = compare(live, whatif, scores, START, END, examples=1)
    assert report["gained"] == {"count": 2, "by_lead_source": {"event": 1, "web": 1}, "by_segment": {"(none)": 2},
                                "examples": [{"lead_id": "L2", "lead_source": "web", "segment": "(none)",
                                              "mql_date": "2026-03-05", "live_fit": 35.0, "live_total": 80.0,
                                              "whatif_fit": 35.0, "whatif_total": 80.0}]}
    assert report["lost"]["count"] == 1 and report["lost"]["examples"][0]["lead_id"] == "L0"
    assert report["lost"]["examples"][0]["whatif_total"] == 85.0
    web = next(row for row in report["by_lead_source"] if row["lead_source"] == "web")
    assert (web["live"]["mqls"], web["whatif"]["mqls"]) == (1, 2)
    assert report["overall"]["whatif"]["lead_to_mql_rate"] == 1.0
