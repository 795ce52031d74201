"""Linkage weights learned without labels: outcomes read exactly, m by EM and u from random
pairs, a model file that nightly runs load in place of the configured weights."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.benchmarks import febrl_config
from flows.settings import CONFIG_DIR
from tasks.errors import ConfigError
from tasks.identity.assignment import load_dedupe_config
from tasks.identity.comparisons import Scorer
from tasks.identity.training import load_linkage_model, model_of, observe, probe_config, train, write_model
from tasks.reporting.evaluate import FEBRL_SETS, linkage_quality

FEBRL = Path(os.environ.get("MQL_FEBRL_DIR", Path(__file__).resolve().parents[4] / "shared/benchmarks/febrl"))


def febrl_records(name: str) -> pd.DataFrame:
    (file,) = FEBRL_SETS[name]
    frame = pd.read_csv(FEBRL / file, dtype=str, skipinitialspace=True, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    for column in frame.columns.drop("rec_id"):
        frame[column] = frame[column].str.strip().str.lower().replace("", None)
    return frame


def test_the_probe_reads_each_comparisons_outcome():
    config = febrl_config()
    records = pd.DataFrame([
        {"given_name": "rebecca", "surname": "fitzgerald", "postcode": "2600", "state": "act"},
        {"given_name": "becky", "surname": "fitzgerlad", "postcode": "2601", "state": None},
        {"given_name": "r", "surname": "smith", "postcode": "7000", "state": "act"},
    ], columns=config.columns()).astype(object)
    records = records.where(records.notna(), None)
    scorer = Scorer(probe_config(config))
    seen = observe((scorer, scorer.code(records)), np.array([0, 0]), np.array([1, 2]), config)
    # first: agree 0, nickname 1, initial 2, levels 3-4, disagree 5; last: agree 0, levels 1-2, disagree 3
    assert seen["name.first"].tolist() == [1, 2]
    assert seen["name.last"].tolist() == [1, 3]           # one swap of letters is similarity 0.97: level 0.92
    assert seen["postcode"].tolist() == [1, 2]            # level 0.75 ("2600"/"2601"), disagree
    assert seen["state"].tolist() == [-1, 0]              # missing, agree
    assert seen["soc_sec_id"].tolist() == [-1, -1]


def test_weights_learned_from_unlabelled_febrl_records_link_them(tmp_path):
    assert FEBRL.is_dir(), f"FEBRL files not found at {FEBRL} (set MQL_FEBRL_DIR)"
    records = febrl_records("dataset1")
    trained = train(records, febrl_config(), random_pairs=50_000)
    learned = {c.name: c for c in trained.config.comparisons}
    configured = {c.name: c for c in febrl_config().comparisons}
    # Agreement is evidence for, disagreement against; rarer agreement weighs more.
    assert all(c.agree > 0 > c.disagree for c in learned.values())
    assert learned["soc_sec_id"].agree > learned["state"].agree
    assert learned["date_of_birth"].agree != configured["date_of_birth"].agree  # learned, not copied
    assert 0 < trained.match_share < 0.01 and trained.config.threshold > 10
    entity = records["rec_id"].str.extract(r"rec-(\d+)-")[0]
    quality = linkage_quality(records, entity, febrl_config(), learn=True)
    assert quality["f1"] >= 0.99 and quality["precision"] >= 0.99, quality

    # The model file: written, read back, named by its weights, used by the dedupe configuration.
    path = tmp_path / "model.yaml"
    model = model_of(trained, "dataset1.csv")
    write_model(path, model)
    again = load_linkage_model(path)
    assert again.version == model.version and again.version.startswith("linkage-")
    assert again.linkage.threshold == trained.config.threshold
    assert again.probabilities["m"]["soc_sec_id"]["agree"] > again.probabilities["u"]["soc_sec_id"]["agree"]


def test_the_dedupe_configuration_uses_a_trained_model(tmp_path):
    base = load_dedupe_config(CONFIG_DIR / "dedupe.yaml")
    records = pd.DataFrame({c: [None] * 4 for c in base.linkage.columns()}, dtype=object)
    records["first_key"] = ["ann", "ann", "bo", "cy"]
    records["last_key"] = ["lee", "lee", "xu", "ng"]
    records["match_email"] = ["ann@acme.com", "ann@acme.com", "bo@acme.com", "cy@acme.com"]
    records["company_key"] = "acme"
    model = model_of(train(records, base.linkage, random_pairs=500), "four records")
    write_model(tmp_path / "models" / "linkage.yaml", model)
    text = (CONFIG_DIR / "dedupe.yaml").read_text() + "\nlinkage_model: models/linkage.yaml\n"
    (tmp_path / "dedupe.yaml").write_text(text)
    config = load_dedupe_config(tmp_path / "dedupe.yaml")
    assert config.linkage == model.linkage and config.version == f"{base.version}+{model.version}"
    (tmp_path / "models" / "linkage.yaml").write_text("version: x\n")
    with pytest.raises(ConfigError, match="linkage.yaml"):
        load_dedupe_config(tmp_path / "dedupe.yaml")
