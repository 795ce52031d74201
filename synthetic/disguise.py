"""Generated extracts in another company's clothes: the attribute columns the scoring model and the
generator share are renamed into custom attributes, with their categories recoded, their case
varied, form placeholders planted and their scales changed. What a model fitter meets on data it
was not written for; the hand-written model finds none of the columns it expects.

    industry         -> vertical      (categories recoded "Vert-<n>", case varied, 4% "Select")
    employee_count   -> staff         (same numbers; 5% "N/A")
    annual_revenue   -> turnover_k    (in thousands)
    job_title        -> position      (same titles, 30% upper case; seniority and department are
                                       no longer derived)
    product_interest -> topic         (recoded "Topic-<n>")
    crm_score        -> partner_rating (0-10 with one decimal)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd


def _code(prefix: str, value: str) -> str:
    return f"{prefix}-{int(hashlib.sha256(value.encode()).hexdigest(), 16) % 997:03d}" if value else ""


def disguise_leads(leads: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One day's leads file (every column a string) disguised as described above."""
    rng = np.random.default_rng(seed)
    n = len(leads)
    out = leads.copy()
    vertical = leads["industry"].map(lambda v: _code("Vert", v))
    vertical = np.where(rng.random(n) < 0.3, vertical.str.lower(), vertical)
    out["vertical"] = np.where(rng.random(n) < 0.04, "Select", vertical)
    out["staff"] = np.where(rng.random(n) < 0.05, "N/A", leads["employee_count"])
    revenue = pd.to_numeric(leads["annual_revenue"], errors="coerce") / 1000
    out["turnover_k"] = revenue.map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    out["position"] = np.where(rng.random(n) < 0.3, leads["job_title"].str.upper(), leads["job_title"])
    out["topic"] = leads["product_interest"].map(lambda v: _code("Topic", v))
    rating = pd.to_numeric(leads["crm_score"], errors="coerce") / 10
    out["partner_rating"] = rating.map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    for column in ("industry", "employee_count", "annual_revenue", "job_title"):
        out[column] = ""
    return out.drop(columns=["product_interest", "crm_score"])


def disguise_extracts(folder: Path, seed: int) -> int:
    """Disguise every `<date>/leads.csv` under `folder` in place; the number of files."""
    files = sorted(Path(folder).glob("*/leads.csv"))
    for number, path in enumerate(files):
        leads = pd.read_csv(path, dtype=str, keep_default_na=False)
        disguise_leads(leads, seed + number).to_csv(path, index=False, lineterminator="\n")
    return len(files)
