"""Quality of a loaded warehouse against the generator's ground truth (duplicates and junk)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from tasks.identity.comparisons import LinkageConfig
from tasks.identity.linkage import link_records

from tasks.warehouse.connection import query_warehouse


def _flag(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_quality(entity: pd.Series, cluster: pd.Series, side: pd.Series | None = None) -> dict[str, float]:
    """Precision, recall and F1 of the pairs a clustering puts together against the true entities;
    with `side`, only pairs across two sides count (linking two files)."""
    frame = pd.DataFrame({"entity": entity.to_numpy(), "cluster": cluster.to_numpy()})

    def count(by: list[str]) -> int:
        if side is None:
            return _pairs(frame.groupby(by).size())
        sizes = frame.assign(side=side.to_numpy()).groupby([*by, "side"]).size().unstack(fill_value=0)
        return int((sizes.iloc[:, 0] * sizes.iloc[:, 1]).sum()) if sizes.shape[1] == 2 else 0

    correct, found, true = count(["entity", "cluster"]), count(["cluster"]), count(["entity"])
    precision = correct / found if found else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": true, "found_pairs": found, "correct_pairs": correct}


FEBRL_SETS = {"dataset1": ("dataset1.csv",), "dataset2": ("dataset2.csv",), "dataset3": ("dataset3.csv",),
              "dataset4": ("dataset4a.csv", "dataset4b.csv")}


def febrl_quality(folder: Path, config: LinkageConfig) -> dict[str, dict[str, float]]:
    """Pairwise quality of `linkage.link_records` on each FEBRL file found in `folder`
    (dataset4: links across its two files). Records `rec-N-org` and `rec-N-dup-K` are one person."""
    results = {}
    for name, files in FEBRL_SETS.items():
        if not all((folder / f).is_file() for f in files):
            continue
        frames = []
        for side, file in enumerate(files):
            frame = pd.read_csv(folder / file, dtype=str, skipinitialspace=True, keep_default_na=False)
            frame.columns = [c.strip() for c in frame.columns]
            frames.append(frame.assign(_side=side))
        records = pd.concat(frames, ignore_index=True)
        for column in records.columns.drop(["rec_id", "_side"]):
            records[column] = records[column].str.strip().str.lower().replace("", None)
        sides = records["_side"].to_numpy()
        keep = (lambda pairs: pd.Series(sides[pairs["left"]] != sides[pairs["right"]])) if len(files) == 2 else None
        started = time.perf_counter()
        clusters = link_records(records, config, keep)
        seconds = time.perf_counter() - started
        entity = records["rec_id"].str.extract(r"rec-(\d+)-")[0]
        quality = pairwise_quality(entity, pd.Series(clusters.root), records["_side"] if len(files) == 2 else None)
        results[name] = {"records": len(records), **quality, "seconds": round(seconds, 2)}
    return results


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
    identities, rejected = query_warehouse(warehouse_url, schema, "evaluate_identities", "evaluate_rejected")
    return {**duplicate_quality(truth, identities), **junk_quality(truth, rejected)}



TARGETS = {"precision": 0.99, "recall": 0.95}


def fraud_benchmark(truth: pd.DataFrame, rejected: pd.DataFrame) -> dict[str, object]:
    """Junk detection against the generator's ground truth: precision, recall, recall per
    planted junk kind, what each reason code hit, and the hard legitimate cases it rejected.

    `rejected`: rejected_leads rows (source_system, source_lead_id, disposition, reasons).
    Malformed rows are validation's business (quarantined), so they are left out of both sides.
    """
    keys = ["source_system", "source_lead_id"]
    rows = truth[~_flag(truth["is_malformed"])].copy()
    caught = rejected.loc[rejected["disposition"] == "rejected", [*keys, "reasons"]].drop_duplicates(keys)
    rows = rows.merge(caught, on=keys, how="left", validate="many_to_one")
    rows["rejected"] = rows["reasons"].notna()
    junk = _flag(rows["is_junk"])
    tp, fp = int((junk & rows["rejected"]).sum()), int((~junk & rows["rejected"]).sum())
    fn = int((junk & ~rows["rejected"]).sum())

    by_kind = {}
    for kind, group in rows[junk].groupby("junk_kind"):
        hit = int(group["rejected"].sum())
        by_kind[kind] = {"rows": len(group), "caught": hit, "recall": round(hit / len(group), 4)}
    fired = rows[rows["rejected"]].assign(code=lambda f: f["reasons"].str.split(";")).explode("code")
    reasons = {
        code: {"fired": len(group), "on_junk": int(_flag(group["is_junk"]).sum()),
               "on_legitimate": int((~_flag(group["is_junk"])).sum())}
        for code, group in fired.groupby("code")
    }
    hard = {}
    for kind, group in rows[rows["hard_case"] != ""].groupby("hard_case"):
        wrong = group[group["rejected"]]
        hard[kind] = {"rows": len(group), "rejected": len(wrong),
                      "reasons": wrong["reasons"].value_counts().to_dict()}
    legit_rejected = rows[~junk & rows["rejected"]]
    return {
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "lead_rows": len(truth), "malformed_rows_left_out": int(_flag(truth["is_malformed"]).sum()),
        "junk_rows": int(junk.sum()), "legitimate_rows": int((~junk).sum()),
        "true_positives": tp, "false_positives": fp, "false_negatives": fn,
        "targets": {**TARGETS, "met": bool(tp + fp and tp / (tp + fp) >= TARGETS["precision"]
                                           and tp + fn and tp / (tp + fn) >= TARGETS["recall"])},
        "recall_by_junk_kind": by_kind,
        "reasons": reasons,
        "hard_case_false_positives": hard,
        "false_positive_examples": legit_rejected[["run_date", *keys, "dup_kind", "hard_case", "reasons"]]
        .head(10).to_dict(orient="records"),
        "missed_examples": rows[junk & ~rows["rejected"]][["run_date", *keys, "junk_kind"]]
        .head(10).to_dict(orient="records"),
    }


def bench_fraud(extracts: Path, warehouse_url: str, schema: str = "mql") -> dict[str, object]:
    """fraud_benchmark of a warehouse loaded from generated extracts, plus the bot activities."""
    truth = pd.read_csv(Path(extracts) / "ground_truth.csv", dtype=str, keep_default_na=False)
    rejected, counts = query_warehouse(warehouse_url, schema, "evaluate_rejected_reasons", "evaluate_fraud_counts")
    figures = fraud_benchmark(truth, rejected)
    fraud = counts.groupby("metric")["value"].sum()
    figures["bot_activities_flagged"] = int(fraud.get("activities_bot", 0))
    figures["overridden"] = {k: int(v) for k, v in fraud.items() if k.startswith(("passed:", "overridden:"))}
    return figures


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

