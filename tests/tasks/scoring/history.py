"""A small made-up lead history with known conversion odds, shaped like the warehouse's tables."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd

FIRST = date(2026, 1, 5)
SECTORS = {"Alpha": 1.2, "beta": 0.4, "Gamma": -0.6, "delta": -1.2}


def made_up_history(leads: int = 3000, days: int = 70, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                              pd.DataFrame, np.ndarray]:
    """(history, activities, outcomes, true log-odds) of `leads` leads arriving over `days` days:
    a custom `sector` (case variants, placeholders, a long tail), a head count, demo requests."""
    rng = np.random.default_rng(seed)
    arrival = rng.integers(0, days - 40, leads)
    sector = rng.choice(list(SECTORS), leads)
    size = np.round(10 ** rng.uniform(0.5, 4.5, leads))
    demos = rng.poisson(0.3 + 0.5 * (sector == "Alpha"), leads)
    logit = -2.6 + np.array([SECTORS[s] for s in sector]) + 0.8 * (size > 500) + 0.7 * np.minimum(demos, 2)
    won = rng.random(leads) < 1 / (1 + np.exp(-logit))
    shown = np.where(rng.random(leads) < 0.5, sector, np.char.upper(sector.astype(str)))
    shown = np.where(rng.random(leads) < 0.05, "Select", shown)
    shown = np.where(rng.random(leads) < 0.03, [f"rare {i}" for i in range(leads)], shown)
    size_text = np.where(rng.random(leads) < 0.1, None, size.astype(int).astype(str))
    run = [FIRST + timedelta(days=int(d)) for d in arrival]
    history = pd.DataFrame({
        "run_date": run, "lead_id": [f"L{i:05d}" for i in range(leads)], "first_run_date": run,
        "job_title": None, "industry": None, "employee_count": size_text, "annual_revenue": None,
        "country": rng.choice(["US", "DE", "FR"], leads), "region": None, "city": None, "lead_source": "web",
        "campaign": None, "utm_source": None, "utm_medium": None, "utm_campaign": None, "company": "Acme",
        "custom_attributes": [json.dumps({"sector": s}) for s in shown], "total_score": 0.0, "fit_score": 0.0,
    })
    act_lead = np.repeat(np.arange(leads), demos)
    activities = pd.DataFrame({
        "lead_id": history["lead_id"].to_numpy()[act_lead],
        "run_date": [FIRST + timedelta(days=int(arrival[i] + rng.integers(0, 5))) for i in act_lead],
        "activity_type": "demo_request", "asset": None, "campaign": None})
    winners = np.flatnonzero(won)
    outcomes = pd.DataFrame({"lead_id": history["lead_id"].to_numpy()[winners],
                             "run_date": [FIRST + timedelta(days=int(arrival[i] + rng.integers(10, 30)))
                                          for i in winners],
                             "status": "won"})
    return history, activities, outcomes, logit
