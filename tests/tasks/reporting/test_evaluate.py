"""Junk detection quality against a ground truth."""

from __future__ import annotations

import pandas as pd

from tasks.reporting.evaluate import fraud_benchmark


def truth_row(lead_id: str, junk_kind: str = "", hard_case: str = "", malformed: bool = False) -> dict[str, str]:
    is_junk = junk_kind not in ("", "clean")
    return {"run_date": "2026-03-02", "source_system": "hs", "source_lead_id": lead_id, "is_junk": str(is_junk).lower(),
            "junk_kind": junk_kind or ("clean" if hard_case else ""), "is_malformed": str(malformed).lower(),
            "hard_case": hard_case, "dup_kind": ""}


def test_fraud_benchmark_counts_hits_misses_reasons_and_hard_cases():
    truth = pd.DataFrame([
        truth_row("1", "honeypot_filled"), truth_row("2", "honeypot_filled"), truth_row("3", "ip_burst"),
        truth_row("4"), truth_row("5", hard_case="short_name"), truth_row("6", hard_case="gmail"),
        truth_row("7", malformed=True),
    ])
    rejected = pd.DataFrame([
        {"source_system": "hs", "source_lead_id": "1", "disposition": "rejected", "reasons": "honeypot"},
        {"source_system": "hs", "source_lead_id": "2", "disposition": "rejected", "reasons": "honeypot;ip_burst"},
        {"source_system": "hs", "source_lead_id": "5", "disposition": "rejected", "reasons": "gibberish_name"},
        {"source_system": "hs", "source_lead_id": "7", "disposition": "quarantined", "reasons": "x"},
    ])
    figures = fraud_benchmark(truth, rejected)
    assert (figures["precision"], figures["recall"]) == (round(2 / 3, 4), round(2 / 3, 4))
    assert (figures["true_positives"], figures["false_positives"], figures["false_negatives"]) == (2, 1, 1)
    assert figures["malformed_rows_left_out"] == 1 and figures["targets"]["met"] is False
    assert figures["recall_by_junk_kind"] == {"honeypot_filled": {"rows": 2, "caught": 2, "recall": 1.0},
                                              "ip_burst": {"rows": 1, "caught": 0, "recall": 0.0}}
    assert figures["reasons"] == {"gibberish_name": {"fired": 1, "on_junk": 0, "on_legitimate": 1},
                                  "honeypot": {"fired": 2, "on_junk": 2, "on_legitimate": 0},
                                  "ip_burst": {"fired": 1, "on_junk": 1, "on_legitimate": 0}}
    assert figures["hard_case_false_positives"] == {
        "gmail": {"rows": 1, "rejected": 0, "reasons": {}},
        "short_name": {"rows": 1, "rejected": 1, "reasons": {"gibberish_name": 1}}}
    assert [e["source_lead_id"] for e in figures["false_positive_examples"]] == ["5"]
    assert [e["source_lead_id"] for e in figures["missed_examples"]] == ["3"]


def test_febrl_linkage_quality_gate():
    """FEBRL dataset1 and dataset4 (the fast ones) stay at F1 >= 0.99; `mql bench dedupe --febrl`
    reports all four."""
    from pathlib import Path

    from flows.benchmarks import febrl_config
    from tasks.reporting.evaluate import febrl_quality

    import os

    folder = Path(os.environ.get("MQL_FEBRL_DIR", Path(__file__).resolve().parents[4] / "shared/benchmarks/febrl"))
    assert folder.is_dir(), f"FEBRL files not found at {folder} (set MQL_FEBRL_DIR)"
    results = febrl_quality(folder, febrl_config())
    assert set(results) == {"dataset1", "dataset2", "dataset3", "dataset4"}
    for name in ("dataset3", "dataset4"):
        assert results[name]["f1"] >= 0.99 and results[name]["precision"] >= 0.99, results[name]
    assert results["dataset4"]["true_pairs"] == 5000 and results["dataset3"]["true_pairs"] == 6538


def test_name_typos_are_every_single_slip_by_kind():
    from tasks.reporting.evaluate import KEY_NEIGHBOURS, name_typos

    typos = name_typos("Anna")
    assert typos["tripled_letter"] == {"Aaanna", "Annna", "Annaaa"}
    assert typos["transposition"] == {"nAna", "Anan"}
    assert typos["deletion"] == {"nna", "Ana", "Ann"}
    assert "Amna" in typos["substitution"] and "Snna" in typos["substitution"] and "Anna" not in typos["substitution"]
    assert len(typos["substitution"]) == sum(len(KEY_NEIGHBOURS[c.lower()]) for c in "Anna")
    assert set(KEY_NEIGHBOURS["g"]) == set("rtyfhvbn")
    assert name_typos("Aaron")["tripled_letter"] >= {"Aaaron", "Aarrron"}


def test_gibberish_name_spares_real_names_with_a_typo():
    from tasks.reporting.evaluate import gibberish_false_positives
    from tasks.screening.fraud import FraudRules, GibberishNameRule

    names = ["Anna", "Dijkstra", "Lindström", "Bengtsson", "Aleksandr", "Armstrong", "Li", "Ng"]
    figures = gibberish_false_positives(names, FraudRules().rules.gibberish_name)
    assert figures["names"] == 8 and figures["names_flagged"] == 0
    # Names picked for their consonant runs: only a slip that leaves five consonants and more
    # around a lost vowel still reads as noise ("Armstrng", "Dkjkstra").
    assert (figures["typos"], figures["typos_flagged"]) == (426, 8)
    assert figures["by_kind"]["tripled_letter"]["flagged"] == figures["by_kind"]["transposition"]["flagged"] == 0
    assert figures["flagged_examples"]["deletion"] == ["Armstrng"]
    # The rule as it was (5 consonants, a letter twice at most, repeats counted) flags every tripled letter.
    strict = gibberish_false_positives(names, GibberishNameRule(max_consonant_run=5, max_repeated_letter=2))
    assert strict["by_kind"]["tripled_letter"]["rate"] == 1.0


def test_a_malformed_email_alone_rejects_nobody():
    from tasks.reporting.evaluate import MALFORMED_EMAILS, malformed_email_rejections
    from tasks.screening.fraud import FraudRules

    people = [("Rebecca", "Fitzgerald"), ("Li", "Na")]
    figures = malformed_email_rejections(people, FraudRules())
    assert figures["leads"] == 2 * len(MALFORMED_EMAILS) == figures["flagged_invalid_email"]
    assert figures["rejected"] == figures["rejected_only_for_malformed_email"] == 0
    strict = FraudRules.model_validate({"rules": {"invalid_email": {"policy": "reject"}}})
    assert malformed_email_rejections(people, strict)["rejected_only_for_malformed_email"] == 2 * len(MALFORMED_EMAILS)


def test_labelled_quality_pairwise_and_cluster_from_a_cluster_column_or_pairs():
    from tasks.reporting.evaluate import cluster_quality, labelled_quality

    labels = pd.DataFrame({"source_system": "crm", "source_lead_id": ["1", "2", "3", "4", "5", "6"],
                           "cluster": ["ann", "ann", "ann", "bo", "bo", "cy"]})
    identities = pd.DataFrame({"source_system": "crm", "source_lead_id": ["1", "2", "3", "4", "5"],
                               "lead_id": ["L1", "L1", "L2", "L3", "L3"]})  # "6" never became a lead
    figures = labelled_quality("clusters", labels, identities)
    # True pairs: ann 3, bo 1; found: L1 1, L3 1; correct: 2.
    assert figures["pairwise"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "true_pairs": 4,
                                   "found_pairs": 2, "correct_pairs": 2}
    # Exact clusters: bo (L3) and cy (alone, as a record in no lead is); ann is split.
    assert figures["cluster"] == {"precision": 0.5, "recall": 0.6667, "f1": 0.5714, "true_clusters": 3,
                                  "found_clusters": 4, "exact_clusters": 2}
    assert figures["records_not_in_a_lead"] == 1
    assert cluster_quality(pd.Series(["a", "a", "b"]), pd.Series([1, 1, 2]))["f1"] == 1.0

    pairs = pd.DataFrame({"source_system": "crm", "source_lead_id": ["1", "1", "4", "1"],
                          "other_source_system": "crm", "other_source_lead_id": ["2", "3", "5", "4"],
                          "match": [True, True, False, False]})
    got = labelled_quality("pairs", pairs, identities)
    assert got["pairwise"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "true_positives": 1,
                               "false_positives": 1, "false_negatives": 1}
    assert (got["pairs"], got["matches"], got["records_not_in_a_lead"]) == (4, 2, 0)


def test_read_labels_says_what_is_wrong_in_one_line(tmp_path):
    import pytest

    from tasks.errors import MqlError
    from tasks.reporting.evaluate import read_labels

    good = tmp_path / "labels.csv"
    good.write_text("source_system,source_lead_id,other_source_system,other_source_lead_id,match\n"
                    "crm, 1,crm,2,yes\ncrm,3,web,4,false\n")
    kind, frame = read_labels(good)
    assert kind == "pairs" and frame["match"].tolist() == [True, False] and frame["source_lead_id"][0] == "1"
    for text, message in (("source_system,source_lead_id\ncrm,1\n", "needs the columns"),
                          ("source_system,source_lead_id,cluster\ncrm,1,\n", "row 2 has an empty value"),
                          ("source_system,source_lead_id,other_source_system,other_source_lead_id,match\n"
                           "crm,1,crm,2,maybe\n", "row 2: match is 'maybe'")):
        good.write_text(text)
        with pytest.raises(MqlError, match=message):
            read_labels(good)
    with pytest.raises(MqlError, match="cannot read it"):
        read_labels(tmp_path / "absent.csv")
