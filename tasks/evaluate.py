"""Quality of a loaded warehouse against the generator's ground truth (duplicates and junk)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.warehouse import open_warehouse, query


def _flag(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def duplicate_quality(truth: pd.DataFrame, identities: pd.DataFrame) -> dict[str, float]:
    """Pairwise precision and recall of the lead each loaded source record was assigned to."""
    loaded = truth.merge(identities, on=["source_system", "source_lead_id"])
    true_pairs = _pairs(loaded.groupby("person_id").size())
    found_pairs = _pairs(loaded.groupby("lead_id").size())
    correct = _pairs(loaded.groupby(["person_id", "lead_id"]).size())
    return {
        "duplicate_precision": round(correct / found_pairs, 4) if found_pairs else 1.0,
        "duplicate_recall": round(correct / true_pairs, 4) if true_pairs else 1.0,
    }


def junk_quality(truth: pd.DataFrame, rejected: pd.DataFrame) -> dict[str, float]:
    """Precision and recall of the rows rejected as junk against the planted junk."""
    keys = ["source_system", "source_lead_id"]
    junk = truth[_flag(truth["is_junk"]) & ~_flag(truth["is_malformed"])]
    caught = rejected[rejected["disposition"] == "rejected"]
    hits = junk.merge(caught, on=keys)
    return {
        "junk_precision": round(len(hits) / len(caught), 4) if len(caught) else 1.0,
        "junk_recall": round(len(hits) / len(junk), 4) if len(junk) else 1.0,
    }


def demo_quality(truth_path: Path, warehouse_url: str, schema: str = "mql") -> dict[str, float]:
    """Duplicate and junk detection quality of a warehouse loaded from generated extracts."""
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    engine = open_warehouse(warehouse_url, schema)
    try:
        with engine.connect() as conn:
            identities = query(conn, "evaluate_identities")
            rejected = query(conn, "evaluate_rejected")
    finally:
        engine.dispose()
    return {**duplicate_quality(truth, identities), **junk_quality(truth, rejected)}


def roc_auc(scores: pd.Series, positive: pd.Series) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    ranks = scores.rank(method="average")
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score_quality(truth: pd.DataFrame, identities: pd.DataFrame, scores: pd.DataFrame) -> dict[str, float]:
    """How well lead scores rank the people who converted (reached won) above those who did not."""
    people = truth[~_flag(truth["is_junk"]) & ~_flag(truth["is_malformed"])]
    people = people.merge(identities, on=["source_system", "source_lead_id"])
    # One person per lead: the one of its first source record.
    per_lead = people.drop_duplicates("lead_id")[["lead_id", "converted", "propensity"]]
    joined = per_lead.merge(scores, on="lead_id")
    converted = _flag(joined["converted"])
    return {
        "leads": len(joined),
        "converters": int(converted.sum()),
        "auc_peak_total": round(roc_auc(joined["peak_total"].astype(float), converted), 4),
        "auc_final_total": round(roc_auc(joined["final_total"].astype(float), converted), 4),
        "auc_final_fit": round(roc_auc(joined["final_fit"].astype(float), converted), 4),
        "spearman_peak_total_vs_propensity": round(float(joined["peak_total"].astype(float).corr(
            joined["propensity"].astype(float), method="spearman")), 4),
    }

