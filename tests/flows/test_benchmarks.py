"""`mql bench dedupe --labels`: identity resolution measured against a team's own labels, beside
its extracts (run through the nightly flow) or against a warehouse already loaded; `mql bench
night`: a night's figures against its I/O floor."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from synthetic.generate import generate_extracts
from tasks.reporting.evaluate import cluster_quality, pairwise_quality
from tasks.warehouse.connection import query_warehouse
from tests.conftest import FIRST_DAY, read_sql


@pytest.mark.prefect
def test_bench_dedupe_with_labels_beside_extracts_and_against_a_warehouse(prefect_api, tmp_path, monkeypatch):
    monkeypatch.setenv("MQL_REPORTS_DIR", str(tmp_path / "reports"))
    extracts = tmp_path / "extracts"
    generate_extracts(extracts, FIRST_DAY, 1, 120, 11, hard=True)
    truth = pd.read_csv(extracts / "ground_truth.csv", dtype=str, keep_default_na=False)
    labels = truth[["source_system", "source_lead_id", "person_id"]].rename(columns={"person_id": "cluster"})
    labels.to_csv(extracts / "labels.csv", index=False)
    runner = CliRunner()

    ran = runner.invoke(app, ["bench", "dedupe", "--labels", str(extracts / "labels.csv"),
                              "--folder", str(tmp_path / "bench")])
    assert ran.exit_code == 0, ran.output
    figures = json.loads(ran.output)
    # The figures are those of the leads the run gave the labelled records.
    identities, = query_warehouse(f"sqlite:///{tmp_path / 'bench' / 'warehouse.db'}", "mql", "evaluate_identities")
    loaded = labels.merge(identities, on=["source_system", "source_lead_id"], how="left")
    lost = loaded["lead_id"].isna()
    loaded.loc[lost, "lead_id"] = [f"alone-{i}" for i in range(int(lost.sum()))]
    assert figures["records"] == len(labels) and figures["records_not_in_a_lead"] == int(lost.sum()) > 0
    assert figures["pairwise"] == pairwise_quality(loaded["cluster"], loaded["lead_id"])
    assert figures["cluster"] == cluster_quality(loaded["cluster"], loaded["lead_id"])
    assert figures["pairwise"]["true_pairs"] > 5 and figures["pairwise"]["precision"] >= 0.95

    # Labelled pairs, read against the warehouse already loaded (nothing is run).
    kept = loaded[~loaded["lead_id"].str.startswith("alone-")]
    first = kept.drop_duplicates("cluster").set_index("cluster")
    pairs = pd.DataFrame({"source_system": kept["source_system"], "source_lead_id": kept["source_lead_id"],
                          "other_source_system": kept["cluster"].map(first["source_system"]),
                          "other_source_lead_id": kept["cluster"].map(first["source_lead_id"]), "match": "true"})
    pairs = pairs[pairs["source_lead_id"] != pairs["other_source_lead_id"]]
    pairs.to_csv(tmp_path / "pairs.csv", index=False)
    read = runner.invoke(app, ["bench", "dedupe", "--labels", str(tmp_path / "pairs.csv"), "--warehouse",
                               f"sqlite:///{tmp_path / 'bench' / 'warehouse.db'}"])
    assert read.exit_code == 0, read.output
    together = (kept["lead_id"] == kept["cluster"].map(first["lead_id"]))[pairs.index]
    assert json.loads(read.output)["pairwise"]["true_positives"] == int(together.sum())
    assert json.loads(read.output)["pairs"] == len(pairs) > 0

    bad = runner.invoke(app, ["bench", "dedupe", "--labels", str(tmp_path / "absent.csv")])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "absent.csv" in bad.output


STAGES = ["extract", "validate", "screen", "match", "dedupe", "retire", "load_state", "survive", "score", "qualify",
          "enroll", "assemble", "write", "monitor"]


@pytest.mark.prefect
def test_bench_night_times_each_stage_against_the_io_floor(prefect_api, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the nights run in processes of their own
    monkeypatch.setenv("MQL_REPORTS_DIR", str(tmp_path / "reports"))
    folder = tmp_path / "bench"
    ran = CliRunner().invoke(app, ["bench", "night", "--leads", "300", "--activities-per-lead", "4",
                                   "--folder", str(folder)])
    assert ran.exit_code == 0, ran.output
    figures = json.loads(ran.output)
    day = folder / "extracts" / "2026-03-03"
    files = {name: len(pd.read_csv(day / f"{name}.csv", dtype=str)) for name in ("leads", "activities", "outcomes")}
    assert figures["input_rows"] == files and files["leads"] == 300
    assert 3.4 <= files["activities"] / files["leads"] <= 4.6  # as asked, within the draw's noise
    night, floor = figures["night"], figures["floor"]
    assert list(night["stage_seconds"]) == STAGES and all(v >= 0 for v in night["stage_seconds"].values())
    assert sum(night["stage_seconds"].values()) + night["dashboard_seconds"] < night["wall_seconds"]
    assert night["dashboard_seconds"] > 0  # rebuilt after the run, as `mql run` rebuilds it
    assert 0 <= night["gc_seconds"] < night["cpu_seconds"] and night["gc_full_collections"] >= 0
    assert figures["night_over_floor"] == round(night["wall_seconds"] / floor["seconds"], 2)
    # The rows written are those of the timed date, as the warehouse holds them; the floor writes
    # every input row once and a row per lead scored, into tables it drops again.
    url = f"sqlite:///{folder / 'warehouse.db'}"
    scores, activities, tables = (read_sql(url, sql) for sql in (
        "select count(*) as n from lead_scores where run_date = '2026-03-03'",
        "select count(*) as n from activities where run_date = '2026-03-03'",
        "select name from sqlite_master where type = 'table'"))
    assert figures["rows_written"]["lead_scores"] == scores["n"][0] > 0
    assert figures["rows_written"]["activities"] == activities["n"][0] > 0.9 * files["activities"]
    assert floor["rows"] == {**files, "scores": figures["rows_written"]["lead_scores"]}
    assert not [name for name in tables["name"] if name.startswith("io_floor_")]
    assert figures["fixed_cost"]["gx_import_seconds"] > 0 and 0 < figures["fixed_cost"]["prefect_share"] < 1
    # The same night with its per-lead stages in two partitions on a local Dask cluster writes the
    # same rows, and shows the partitions as one `leads` stage.
    parted = CliRunner().invoke(app, ["bench", "night", "--leads", "300", "--activities-per-lead", "4",
                                      "--folder", str(folder), "--lead-partitions", "2"])
    assert parted.exit_code == 0, parted.output
    split = json.loads(parted.output)
    assert split["lead_partitions"] == 2 and split["command"].endswith("--lead-partitions 2")
    assert split["rows_written"] == figures["rows_written"] and split["input_rows"] == figures["input_rows"]
    # load_state, survive, score, qualify and enroll as one `leads` stage
    assert list(split["night"]["stage_seconds"]) == [*STAGES[:6], "leads", *STAGES[11:]]
    assert split["night"]["children_cpu_seconds"] > 0  # the workers' work, counted
