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
