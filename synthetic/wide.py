"""A wide made-up lead history for timing the model fitter: many leads, many attributes (half
contract columns, half custom attributes), activities and wins with hidden odds, shaped like the
rows the fitter reads from the warehouse (lead_history, activities, sales_outcomes)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd

CATEGORICAL = ("industry", "country", "region", "lead_source", "campaign", "utm_source", "utm_medium",
               "utm_campaign")
NUMERIC = ("employee_count", "annual_revenue")


def wide_history(leads: int, attributes: int, seed: int, first: date, days: int = 120
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(history, activities, outcomes) of `leads` leads with `attributes` attributes (at least 10:
    the 10 contract columns above, then custom ones alternating categorical and numeric)."""
    rng = np.random.default_rng(seed)
    logit = np.full(leads, -3.0)
    columns: dict[str, np.ndarray] = {}
    customs: dict[str, np.ndarray] = {}
    for k in range(max(10, attributes)):
        numeric = (k >= len(CATEGORICAL) and k < 10) or (k >= 10 and k % 2 == 1)
        if numeric:
            values = np.round(np.exp(rng.normal(4 + k % 3, 1.5, leads)))
            logit += 0.25 * (np.log(values + 1) - 4) / 1.5 * (1 if k % 3 else -1)
            text = np.where(rng.random(leads) < 0.1, None, values.astype(np.int64).astype(str))
        else:
            cardinality = [5, 30, 200, 1000][k % 4]
            codes = np.minimum((rng.pareto(1.2, leads) * 3).astype(np.int64), cardinality - 1)
            effect = rng.normal(0, 0.5, cardinality)
            logit += effect[codes]
            text = np.array([f"Cat{k}-{c}" for c in range(cardinality)], dtype=object)[codes]
            text = np.where(rng.random(leads) < 0.05, "Select", text)
        name = (CATEGORICAL + NUMERIC)[k] if k < 10 else f"attribute_{k}"
        (columns if k < 10 else customs)[name] = text
    custom_names = list(customs)
    custom_json = [json.dumps(dict(zip(custom_names, row))) for row in zip(*customs.values())] if customs \
        else ["{}"] * leads
    arrival = rng.integers(0, days - 30, leads)
    base = np.datetime64(first)
    run = (base + arrival.astype("timedelta64[D]")).astype("datetime64[D]").astype(str)
    history = pd.DataFrame({"run_date": run, "lead_id": np.char.add("L", np.arange(leads).astype(str)),
                            "first_run_date": run, "job_title": None, **columns, "city": None, "company": None,
                            "custom_attributes": custom_json, "total_score": 0.0, "fit_score": 0.0})
    demos = rng.poisson(0.2 + 0.6 / (1 + np.exp(-logit)), leads)
    logit += 0.6 * np.minimum(demos, 2)
    lead_of = np.repeat(np.arange(leads), demos)
    act_day = arrival[lead_of] + rng.integers(0, 6, len(lead_of))
    activities = pd.DataFrame({"lead_id": history["lead_id"].to_numpy()[lead_of],
                               "run_date": (base + act_day.astype("timedelta64[D]")).astype(str),
                               "activity_type": rng.choice(["demo_request", "content_download", "page_view"],
                                                           len(lead_of)),
                               "asset": None, "campaign": None})
    won = np.flatnonzero(rng.random(leads) < 1 / (1 + np.exp(-logit)))
    win_day = arrival[won] + rng.integers(8, 30, len(won))
    outcomes = pd.DataFrame({"lead_id": history["lead_id"].to_numpy()[won],
                             "run_date": (base + win_day.astype("timedelta64[D]")).astype(str), "status": "won"})
    return history, activities, outcomes


def last_day(first: date, days: int = 120) -> date:
    return first + timedelta(days=days - 1)
