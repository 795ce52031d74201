"""Quality of a loaded warehouse against the generator's ground truth (duplicates and junk)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from tasks.identity.comparisons import LinkageConfig
from tasks.identity.training import train
from tasks.screening.fraud import FraudRules, GibberishNameRule, gibberish_check, judge_leads
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


def cluster_quality(entity: pd.Series, cluster: pd.Series) -> dict[str, float]:
    """Cluster-level precision, recall and F1: a found cluster counts when it holds exactly the
    records of one true entity (precision: of the clusters found; recall: of the true entities)."""
    frame = pd.DataFrame({"entity": entity.to_numpy(), "cluster": cluster.to_numpy()})
    both = frame.groupby(["entity", "cluster"]).size()
    per_entity, per_cluster = frame.groupby("entity").size(), frame.groupby("cluster").size()
    exact = int(((both.to_numpy() == per_entity.reindex(both.index.get_level_values(0)).to_numpy())
                 & (both.to_numpy() == per_cluster.reindex(both.index.get_level_values(1)).to_numpy())).sum())
    precision = exact / len(per_cluster) if len(per_cluster) else 1.0
    recall = exact / len(per_entity) if len(per_entity) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_clusters": len(per_entity), "found_clusters": len(per_cluster), "exact_clusters": exact}


KEYS = ["source_system", "source_lead_id"]
OTHER_KEYS = ["other_source_system", "other_source_lead_id"]
LABEL_FORMATS = {"clusters": [*KEYS, "cluster"], "pairs": [*KEYS, *OTHER_KEYS, "match"]}


def read_labels(path: Path) -> tuple[str, pd.DataFrame]:
    """A team's own identity labels, CSV or Parquet: ("clusters", rows of source_system,
    source_lead_id, cluster) or ("pairs", rows of two records and `match`, true or false)."""
    from tasks.errors import MqlError

    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(
            path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise MqlError(f"--labels {path}: cannot read it ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    kind = next((kind for kind, columns in LABEL_FORMATS.items() if set(columns) <= set(frame.columns)), None)
    if kind is None:
        raise MqlError(f"--labels {path}: needs the columns {', '.join(LABEL_FORMATS['clusters'])} (a cluster per "
                       f"record) or {', '.join(LABEL_FORMATS['pairs'])} (labelled pairs)")
    frame = frame[LABEL_FORMATS[kind]].astype(str).apply(lambda column: column.str.strip())
    empty = (frame == "").any(axis=1)
    if empty.any():
        raise MqlError(f"--labels {path}: row {int(empty.to_numpy().argmax()) + 2} has an empty value")
    if kind == "pairs":
        match = frame["match"].str.lower()
        bad = ~match.isin(["true", "false", "1", "0", "yes", "no"])
        if bad.any():
            raise MqlError(f"--labels {path}: row {int(bad.to_numpy().argmax()) + 2}: match is "
                           f"{frame['match'][bad].iloc[0][:40]!r}, not true or false")
        frame["match"] = _flag(match)
    return kind, frame


def labelled_quality(kind: str, labels: pd.DataFrame, identities: pd.DataFrame) -> dict[str, object]:
    """Pairwise (and, for clusters, cluster-level) precision, recall and F1 of the leads the
    warehouse gave the labelled records (`identities`: source_system, source_lead_id, lead_id).
    A labelled record that is in no lead (rejected, quarantined, never loaded) is a lead of its own."""
    lead = identities.drop_duplicates(KEYS).set_index(KEYS)["lead_id"]
    if kind == "clusters":
        found = pd.Series(lead.reindex(pd.MultiIndex.from_frame(labels[KEYS])).to_numpy(), index=labels.index)
        missing = found.isna()
        found = found.where(~missing, "unloaded:" + pd.Series(range(len(found)), index=labels.index).astype(str))
        return {"labels": "clusters", "records": len(labels), "records_not_in_a_lead": int(missing.sum()),
                "pairwise": pairwise_quality(labels["cluster"], found),
                "cluster": cluster_quality(labels["cluster"], found)}
    left = lead.reindex(pd.MultiIndex.from_frame(labels[KEYS])).to_numpy()
    right = lead.reindex(pd.MultiIndex.from_frame(labels[OTHER_KEYS].set_axis(KEYS, axis=1))).to_numpy()
    together = pd.notna(left) & pd.notna(right) & (left == right)
    match = labels["match"].to_numpy(dtype=bool)
    tp, fp, fn = int((together & match).sum()), int((together & ~match).sum()), int((~together & match).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    unloaded = set(labels.loc[pd.isna(left), KEYS].itertuples(index=False, name=None)) | set(
        labels.loc[pd.isna(right), OTHER_KEYS].itertuples(index=False, name=None))
    return {"labels": "pairs", "pairs": len(labels), "matches": int(match.sum()),
            "records_not_in_a_lead": len(unloaded),
            "pairwise": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                         "true_positives": tp, "false_positives": fp, "false_negatives": fn}}


FEBRL_SETS = {"dataset1": ("dataset1.csv",), "dataset2": ("dataset2.csv",), "dataset3": ("dataset3.csv",),
              "dataset4": ("dataset4a.csv", "dataset4b.csv")}


def febrl_quality(folder: Path, config: LinkageConfig, learn: bool = False) -> dict[str, dict[str, float]]:
    """Pairwise quality of `linkage.link_records` on each FEBRL file found in `folder`
    (dataset4: links across its two files). Records `rec-N-org` and `rec-N-dup-K` are one person.
    With `learn`, the weights are first learned from each file's records (no labels)."""
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
        entity = records["rec_id"].str.extract(r"rec-(\d+)-")[0]
        results[name] = linkage_quality(records, entity, config, learn, records["_side"] if len(files) == 2 else None)
    return results


def linkage_quality(records: pd.DataFrame, entity: pd.Series, config: LinkageConfig, learn: bool,
                    side: pd.Series | None = None) -> dict[str, float]:
    """Pairwise quality of linking `records` against their true `entity`, with `config`'s weights
    or (`learn`) weights learned from the records first; with `side`, only pairs across two files."""
    sides = None if side is None else side.to_numpy()
    keep = None if sides is None else (lambda pairs: pd.Series(sides[pairs["left"]] != sides[pairs["right"]]))
    started = time.perf_counter()
    trained = train(records, config, keep=keep) if learn else None
    learned = time.perf_counter()
    clusters = link_records(records, trained.config if trained else config, keep)
    seconds = time.perf_counter() - learned
    quality = pairwise_quality(entity, pd.Series(clusters.root), side)
    figures: dict[str, float] = {"records": len(records), **quality, "seconds": round(seconds, 2)}
    if trained is not None:
        figures |= {"train_seconds": round(learned - started, 2), "threshold": trained.config.threshold,
                    "match_share": round(trained.match_share, 8)}
    return figures


HISTORICAL_FILE = "historical_figures_with_errors_50k.parquet"


def historical_quality(folder: Path, config: LinkageConfig, learn: bool) -> dict[str, float]:
    """Pairwise quality of the clusters on the historical figures file (Splink's tutorial data:
    names, dates of birth, places; `cluster` is the true person)."""
    records = pd.read_parquet(folder / HISTORICAL_FILE)
    for column in config.columns():
        records[column] = records[column].astype(object).where(records[column].notna(), None)
    return linkage_quality(records, records["cluster"], config, learn)


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
    figures["flagged"] = {k: int(v) for k, v in fraud.items() if k.startswith("flagged:")}
    only = rejected.loc[rejected["disposition"] == "rejected", "reasons"] == "invalid_email"
    figures["rejected_only_for_malformed_email"] = int(only.sum())
    return figures


# Keys beside each letter on a QWERTY keyboard: where a finger slips to.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEY_NEIGHBOURS = {
    letter: "".join(other for r, keys in enumerate(_KEY_ROWS) for c, other in enumerate(keys)
                    if other != letter and abs(r - row) <= 1 and abs(c - column) <= 1)
    for row, keys in enumerate(_KEY_ROWS) for column, letter in enumerate(keys)
}
TYPO_KINDS = ("tripled_letter", "transposition", "deletion", "substitution")


def name_typos(name: str) -> dict[str, set[str]]:
    """Every single slip of the keyboard in a name, by kind: a letter typed three times ("Anna" ->
    "Annna", "Jon" -> "Jjjon"), two neighbouring letters swapped, a letter dropped (names of three
    letters or more), a letter replaced by a key beside it. The name itself is left out."""
    typos: dict[str, set[str]] = {kind: set() for kind in TYPO_KINDS}
    folded = name.lower()
    for i, letter in enumerate(name):
        if not letter.isalpha():
            continue
        run = 2 if folded[i + 1:i + 2] == folded[i] else 1  # "nn" of "Anna" -> "nnn", "Aa" of "Aaron" -> "Aaa"
        if (i == 0 or folded[i - 1] != folded[i]) and folded[i + run:i + run + 1] != folded[i]:
            typos["tripled_letter"].add(name[:i] + letter + folded[i] * 2 + name[i + run:])
        if i + 1 < len(name) and name[i + 1].isalpha() and name[i + 1] != letter:
            typos["transposition"].add(name[:i] + name[i + 1] + letter + name[i + 2:])
        if len(name) >= 3:
            typos["deletion"].add(name[:i] + name[i + 1:])
        for other in KEY_NEIGHBOURS.get(letter.lower(), ""):
            typos["substitution"].add(name[:i] + (other.upper() if letter.isupper() else other) + name[i + 1:])
    return {kind: found - {name} for kind, found in typos.items()}


def gibberish_false_positives(names: list[str], rule: GibberishNameRule) -> dict[str, object]:
    """How often the gibberish_name rule calls a real name, or a real name with one typo, gibberish."""
    check = gibberish_check(rule)
    names = sorted(set(names))
    flagged_names = [name for name in names if check(name)]
    by_kind, examples, total, hits = {}, {}, 0, 0
    for kind in TYPO_KINDS:
        typos = sorted({typo for name in names for typo in name_typos(name)[kind]})
        flagged = [typo for typo in typos if check(typo)]
        by_kind[kind] = {"typos": len(typos), "flagged": len(flagged),
                         "rate": round(len(flagged) / len(typos), 6) if typos else 0.0}
        examples[kind] = flagged[:5]
        total, hits = total + len(typos), hits + len(flagged)
    return {"names": len(names), "names_flagged": len(flagged_names), "names_flagged_examples": flagged_names[:10],
            "typos": total, "typos_flagged": hits, "false_positive_rate": round(hits / total, 6) if total else 0.0,
            "by_kind": by_kind, "flagged_examples": examples}


# Ways addresses come in broken: two "@", a doubled dot, a space, a trailing dot, a missing top level.
MALFORMED_EMAILS = ("{first}@{last}@{domain}", "{first}..{last}@{domain}", "{first} {last}@{domain}",
                    "{first}.{last}@{domain}.", "{first}.{last}@{label}")


def malformed_email_rejections(people: list[tuple[str, str]], rules: FraudRules) -> dict[str, object]:
    """Leads of real people whose only fault is a malformed address, through the lead rules: how
    many are rejected (the target is none; the address is flagged and the person kept)."""
    rows = [{"source_system": "web", "source_lead_id": str(i), "first_name": first, "last_name": last,
             "email": form.format(first=first.lower(), last=last.lower(), domain="northwind-traders.com",
                                  label="northwind-traders"),
             "user_agent": "Mozilla/5.0", "form_seconds": "30"}
            for i, ((first, last), form) in enumerate((p, f) for p in people for f in MALFORMED_EMAILS)]
    verdict = judge_leads(pd.DataFrame(rows, dtype=object), rules)
    alone = verdict.reasons == "invalid_email"
    return {"leads": len(rows), "flagged_invalid_email": int(verdict.flagged.str.contains("invalid_email").sum()),
            "rejected": int((verdict.reasons != "").sum()), "rejected_only_for_malformed_email": int(alone.sum()),
            "rejected_examples": verdict.reasons[verdict.reasons != ""].value_counts().head(5).to_dict()}


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

