"""Benchmarks that run the real flows on generated extracts and return their figures."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flows.nightly import nightly
from flows.night_probe import peak_rss_mb
from flows.settings import CONFIG_DIR
from tasks.identity.assignment import (INPUT_COLUMNS, DedupeConfig, assign_leads, load_dedupe_config, match_fields,
                                       row_keys)
from tasks.identity.blocking import HashKey, block_keys
from tasks.identity.comparisons import LinkageConfig
from tasks.scoring.model import load_yaml_config
from tasks.warehouse.state import Lookup
from tasks.errors import MqlError
from tasks.reporting.evaluate import (HISTORICAL_FILE, bench_fraud, demo_quality, febrl_quality, historical_quality,
                                     pairwise_quality, score_quality)
from synthetic.generate import generate_extracts
from tasks.warehouse.connection import bulk_insert, open_warehouse, query_warehouse

FIRST_DAY = date(2026, 3, 2)
# Linkage settings for the FEBRL files: benchmark configuration, apart from the runtime config.
FEBRL_CONFIG_PATH = CONFIG_DIR / "bench" / "febrl.yaml"


HISTORICAL_CONFIG_PATH = CONFIG_DIR / "bench" / "historical_figures.yaml"


def febrl_config() -> LinkageConfig:
    """The linkage settings `mql bench dedupe --febrl` uses on the FEBRL files."""
    return load_yaml_config(FEBRL_CONFIG_PATH, LinkageConfig, "FEBRL linkage configuration")


def historical_config() -> LinkageConfig:
    """The comparable columns of the historical figures file (`mql bench dedupe --historical`)."""
    return load_yaml_config(HISTORICAL_CONFIG_PATH, LinkageConfig, "historical figures linkage configuration")


def _prepare(folder: Path | None, days: int, leads_per_day: int, seed: int, hard: bool = False) -> tuple[Path, str]:
    where = folder or Path(tempfile.mkdtemp(prefix="mql-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    (where / "warehouse.db").unlink(missing_ok=True)
    generate_extracts(where / "extracts", FIRST_DAY, days, leads_per_day, seed, hard=hard)
    return where / "extracts", f"sqlite:///{(where / 'warehouse.db').resolve()}"


def _run_days(extracts: Path, url: str, days: int, model_path: str | None = None) -> None:
    for offset in range(days):
        nightly(run_date=FIRST_DAY + timedelta(days=offset), extracts_dir=str(extracts), warehouse_url=url,
                model_path=model_path)


def model_quality(days: int, leads_per_day: int, seed: int, model_path: str | None,
                  folder: Path | None = None) -> dict[str, Any]:
    """ROC AUC of the model's total score against the generator's hidden conversions."""
    extracts, url = _prepare(folder, days, leads_per_day, seed)
    _run_days(extracts, url, days, model_path)
    truth = pd.read_csv(extracts / "ground_truth.csv", dtype=str, keep_default_na=False)
    identities, scores = query_warehouse(url, "mql", "evaluate_identities", "evaluate_scores")
    return score_quality(truth, identities, scores)


def cost_curve(days: int, leads_per_day: int, seed: int, warmup_days: int = 10,
               folder: Path | None = None) -> dict[str, Any]:
    """Wall and CPU time of each nightly run over a backfill at constant daily volume.

    The first `warmup_days` are loaded untimed: they let the generated activity streams reach a
    steady daily volume (each lead keeps acting for days after it arrives) and pay the one-off
    costs of a process (imports, Prefect client). The timed days then show whether a night costs
    more as history grows. CPU time is this process's, steadier than wall time on a shared machine.
    """
    extracts, url = _prepare(folder, warmup_days + days, leads_per_day, seed)
    wall, cpu, rows_in = [], [], []
    for offset in range(warmup_days + days):
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = nightly(run_date=FIRST_DAY + timedelta(days=offset), extracts_dir=str(extracts),
                          warehouse_url=url)
        if offset >= warmup_days:
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            rows_in.append(sum(summary.counts["extract"].values()))

    def ratio(series: list[float]) -> dict[str, float]:
        return {"last_over_first": round(series[-1] / series[0], 3),
                "median_last_3_over_median_first_3": round(statistics.median(series[-3:])
                                                           / statistics.median(series[:3]), 3)}

    return {
        "warmup_days": warmup_days,
        "timed_days": days,
        "leads_per_day": leads_per_day,
        "input_rows_per_day": rows_in,
        "wall_seconds_per_day": [round(s, 3) for s in wall],
        "cpu_seconds_per_day": [round(s, 3) for s in cpu],
        "wall": ratio(wall),
        "cpu": ratio(cpu),
        "input_rows": ratio([float(r) for r in rows_in]),
    }


def dedupe_quality(days: int, leads_per_day: int, seed: int, hard: bool, folder: Path | None = None
                   ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Pairwise quality of identity resolution over generated days run through the real flow,
    with recall per planted duplicate kind and the merges that joined different people
    (returned with the figures, for inspection)."""
    extracts, url = _prepare(folder, days, leads_per_day, seed, hard)
    started = time.perf_counter()
    _run_days(extracts, url, days)
    seconds = time.perf_counter() - started
    truth = pd.read_csv(extracts / "ground_truth.csv", dtype=str, keep_default_na=False)
    identities, merges = query_warehouse(url, "mql", "evaluate_identities", "evaluate_merges")
    loaded = truth.merge(identities, on=["source_system", "source_lead_id"])
    figures = pairwise_quality(loaded["person_id"], loaded["lead_id"])
    first_lead = loaded.drop_duplicates("person_id").set_index("person_id")["lead_id"]
    duplicates = loaded[loaded["is_duplicate"] == "true"]
    found = duplicates["lead_id"] == duplicates["person_id"].map(first_lead)
    by_kind = found.groupby(duplicates["dup_kind"]).agg(["mean", "size"])
    negatives = loaded[loaded["hard_case"] != ""]
    shared = negatives.groupby("lead_id")["person_id"].transform("nunique") > 1
    person = dict(zip(zip(truth["source_system"], truth["source_lead_id"]), truth["person_id"]))
    lead_person = loaded.groupby("lead_id")["person_id"].agg(lambda p: p.mode().iloc[0])
    merges["person"] = [person.get(k) for k in zip(merges["source_system"], merges["source_lead_id"])]
    merges["matched_person"] = [
        person.get((s, i)) if isinstance(s, str) else lead_person.get(lead)
        for s, i, lead in zip(merges["matched_source_system"], merges["matched_source_lead_id"],
                              merges["matched_lead_id"])]
    wrong = merges[merges["person"] != merges["matched_person"]]
    return {
        **figures,
        "records": len(loaded),
        "recall_by_kind": {kind: {"recall": round(float(row["mean"]), 4), "rows": int(row["size"])}
                           for kind, row in by_kind.iterrows()},
        "negatives_loaded": negatives.groupby("hard_case").size().to_dict(),
        "negatives_wrongly_merged": negatives[shared].groupby("hard_case").size().to_dict(),
        "wrong_merges_by_rule": wrong.groupby("rule").size().to_dict(),
        "flow_seconds": round(seconds, 1),
    }, wrong


BENCH_KEY = HashKey.derive("mql bench dedupe-scale")  # keyed as a warehouse's keys are; nothing secret here


def build_lead_base(survivors: pd.DataFrame, existing: int, run_date: date, url: str, schema: str,
                    seed: int, config: DedupeConfig) -> dict[str, int]:
    """Load `existing` golden leads into the warehouse's match tables (lead_identities and
    lead_match_keys, as the nightly run stores them), drawn from the value distributions of the
    day's rows: first name, last name, company, city and domain recombined at random, so the
    base holds namesakes and colleagues; plus one earlier record for 12% of the day's people,
    found again by email, by phone or by name and company."""
    rng = np.random.default_rng(seed)
    fields = match_fields(survivors, config).reset_index(drop=True)
    pick = {c: fields[c].to_numpy(dtype=object)[rng.integers(0, len(fields), existing)]
            for c in ("first_key", "last_key", "company_key", "city_key", "country_key", "corporate_domain")}
    base = pd.DataFrame(pick)
    number = pd.Series(np.arange(existing)).astype(str)
    base["match_email"] = (base["first_key"].fillna("x").str.replace(" ", "") + "." + number + "@"
                           + base["corporate_domain"].fillna("example.org"))
    base["phone_e164"] = "+1999" + pd.Series(rng.integers(10**7, 10**8, existing)).astype(str)
    again = rng.choice(len(fields), size=min(existing, int(len(fields) * 0.12)), replace=False)
    how = rng.integers(0, 3, len(again))  # 0: same email, 1: same phone, 2: name and company only
    earlier = fields.iloc[again].reset_index(drop=True)
    earlier.loc[how != 0, "match_email"] = None
    earlier.loc[how != 1, "phone_e164"] = None
    base.iloc[: len(again)] = earlier[base.columns].to_numpy()
    base["lead_id"] = "base-" + number
    identities = base.assign(source_system="crm", source_lead_id="b" + number, run_date=run_date - timedelta(days=1),
                             match_rule="new")
    keys = block_keys(base, config.linkage, BENCH_KEY)
    keys = pd.DataFrame({"key_hash": keys["key_hash"].to_numpy(),
                         "lead_id": base["lead_id"].to_numpy()[keys["node"].to_numpy()],
                         "run_date": run_date - timedelta(days=1)}).drop_duplicates(["key_hash", "lead_id"])
    keys = keys.sort_values(["key_hash", "lead_id"], ignore_index=True)
    engine = open_warehouse(url, schema)
    try:
        with engine.begin() as conn:
            for start in range(0, len(identities), 500_000):
                bulk_insert(conn, "lead_identities", identities.iloc[start:start + 500_000])
            for start in range(0, len(keys), 500_000):
                bulk_insert(conn, "lead_match_keys", keys.iloc[start:start + 500_000])
        if engine.dialect.name == "postgresql":
            # As autovacuum leaves a warehouse between nightly runs: statistics, and the visibility
            # map that lets index-only scans skip the table.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE) lead_identities")
                conn.exec_driver_sql("VACUUM (ANALYZE) lead_match_keys")
    finally:
        engine.dispose()
    return {"leads": existing, "match_keys": len(keys), "planted_earlier_records": len(again)}


def time_dedupe_stage(survivors_path: str, url: str, schema: str, run_date: date, config_path: str) -> dict[str, Any]:
    """The dedupe stage as the nightly run does it (keys of the day's rows, warehouse look-up,
    linking), timed; run in a fresh process so its peak memory is its own."""

    config = load_dedupe_config(Path(config_path))
    survivors = pd.read_pickle(survivors_path)
    sources = survivors[["source_system", "source_lead_id"]]
    engine = open_warehouse(url, schema)
    try:
        started = time.perf_counter()
        with Lookup(engine, sources, run_date, config.workers) as lookup:  # as match_stage: the records' look-ups start first
            fields = match_fields(survivors, config)
            keys = row_keys(survivors, config, fields, key=BENCH_KEY)
            keyed = time.perf_counter()
            known = lookup.known(keys, config.linkage.max_block)
        looked_up = time.perf_counter()
        assigned = assign_leads(survivors, known, run_date.isoformat(), config, fields, keys)
        done = time.perf_counter()
    finally:
        engine.dispose()
    rules = assigned.rows["match_rule"].value_counts().to_dict()
    return {
        "seconds": round(done - started, 1),
        "seconds_keys": round(keyed - started, 1), "seconds_lookup": round(looked_up - keyed, 1),
        "seconds_link": round(done - looked_up, 1),
        "peak_rss_mb": peak_rss_mb(),
        "keys_looked_up": int(len(keys)), "warehouse_hits": int(len(known.keys)),
        "candidate_records": int(len(known.candidates)), "links": int(len(assigned.merges)),
        "match_rules": {str(k): int(v) for k, v in rules.items()},
    }


def dedupe_scale(incoming: int, existing: int, url: str, schema: str, seed: int, folder: Path) -> dict[str, Any]:
    """Throughput and peak memory of the dedupe stage: `incoming` generated lead rows of one day
    against `existing` leads already in the warehouse at `url`."""
    import multiprocessing

    from flows.settings import Settings
    from tasks.intake.contract import LEAD_COLUMNS
    from tasks.intake.extract import with_contract_columns
    from tasks.screening.normalize import normalise_leads

    config_path = Settings().dedupe_config_path
    config = load_dedupe_config(config_path)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate_extracts(folder / "extracts", FIRST_DAY, 1, incoming, seed)
    leads = pd.read_csv(folder / "extracts" / str(FIRST_DAY) / "leads.csv", dtype=str, keep_default_na=False)
    leads = leads.replace("", None)
    leads = leads[leads["source_lead_id"].notna()]  # what validation quarantines never reaches dedupe
    survivors = normalise_leads(with_contract_columns(leads, LEAD_COLUMNS).astype(object))
    survivors = survivors.assign(row_number=np.arange(len(survivors)))
    prepared = time.perf_counter()
    base = build_lead_base(survivors, existing, FIRST_DAY, url, schema, seed, config)
    loaded = time.perf_counter()
    path = folder / "survivors.pkl"
    survivors[list(INPUT_COLUMNS)].to_pickle(path)  # what the stage reads of a row
    del survivors, leads
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        stage = pool.apply(time_dedupe_stage, (str(path), url, schema, FIRST_DAY, str(config_path)))
    return {"incoming": incoming, "existing": base, "stage": stage,
            "setup_seconds": {"generate_and_normalise": round(prepared - started, 1),
                              "load_lead_base": round(loaded - prepared, 1)}}


# What each `mql bench` command prints: its figures, with the command that reproduces them.

def dedupe_benchmark(days: int, leads_per_day: int, seed: int, febrl: Path | None,
                     folder: Path | None = None, historical: Path | None = None, learn: bool = True) -> dict[str, Any]:
    """`mql bench dedupe`: the hard generated set through the nightly flow, and FEBRL and the
    historical figures when given (each with the configuration's weights and with learned ones)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        os.environ.setdefault("MQL_REPORTS_DIR", str(where / "reports"))  # not the working folder
        shutil.rmtree(where / "extracts", ignore_errors=True)
        figures, _ = dedupe_quality(days, leads_per_day, seed, hard=True, folder=where)
    result: dict[str, Any] = {"benchmark": "dedupe", "command": f"mql bench dedupe --days {days} --leads-per-day "
                              f"{leads_per_day} --seed {seed}" + (f" --febrl {febrl}" if febrl else "")
                              + (f" --historical {historical}" if historical else ""),
                              "hard_generated": figures}
    if febrl is not None:
        if not febrl.is_dir():
            raise MqlError(f"--febrl {febrl}: not a folder")
        result["febrl"] = febrl_quality(febrl, febrl_config())
        if learn:
            result["febrl_learned"] = febrl_quality(febrl, febrl_config(), learn=True)
    if historical is not None:
        if not (historical / HISTORICAL_FILE).is_file():
            raise MqlError(f"--historical {historical}: no {HISTORICAL_FILE} there")
        result["historical_figures"] = {"configured": historical_quality(historical, historical_config(), False),
                                        "learned": historical_quality(historical, historical_config(), True)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def labelled_dedupe_benchmark(labels: Path, extracts: Path | None, warehouse: str | None,
                              folder: Path | None = None) -> dict[str, Any]:
    """`mql bench dedupe --labels FILE`: identity resolution against a team's own labels, on a
    warehouse it loaded (`warehouse`) or on its extracts (each dated folder, in order) run through
    the nightly flow into a temporary SQLite warehouse."""
    from flows.nightly import resolve_settings
    from flows.settings import warehouse_option
    from tasks.reporting.evaluate import labelled_quality, read_labels

    started = time.perf_counter()
    kind, frame = read_labels(labels)
    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        if warehouse is None:
            extracts = extracts or labels.parent
            days = sorted(p.name for p in extracts.iterdir() if p.is_dir() and _is_date(p.name)) \
                if extracts.is_dir() else []
            if not days:
                raise MqlError(f"--extracts {extracts}: no dated folders (YYYY-MM-DD) of extracts to run")
            where.mkdir(parents=True, exist_ok=True)
            (where / "warehouse.db").unlink(missing_ok=True)
            os.environ.setdefault("MQL_REPORTS_DIR", str(where / "reports"))  # not the working folder
            url = f"sqlite:///{(where / 'warehouse.db').resolve()}"
            for day in days:
                nightly(run_date=date.fromisoformat(day), extracts_dir=str(extracts), warehouse_url=url)
        else:
            url = warehouse
        with warehouse_option(url):
            schema = resolve_settings().warehouse_schema
        identities, = query_warehouse(url, schema, "evaluate_identities")
    command = f"mql bench dedupe --labels {labels}" + (f" --extracts {extracts}" if warehouse is None else
                                                       " --warehouse URL")
    return {"benchmark": "dedupe-labels", "command": command, **labelled_quality(kind, frame, identities),
            "seconds": round(time.perf_counter() - started, 1)}


def _is_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def reference_names() -> tuple[list[str], list[tuple[str, str]]]:
    """Real names this project did not invent (the `nicknames` package's English names) and the
    generator's names of every culture: (names, first and last name pairs of the generator)."""
    from nicknames import name_triplets

    from synthetic.reference import NAMES, NICKNAMES, SHORT_NAMES

    names = {name.title() for triplet in name_triplets() for name in (triplet.name1, triplet.name2)}
    people = [(first, last) for firsts, lasts in NAMES.values() for first, last in zip(firsts, lasts)]
    people += list(SHORT_NAMES)
    names |= {name for firsts, lasts in NAMES.values() for name in (*firsts, *lasts)}
    names |= {name for pair in SHORT_NAMES for name in pair} | {n for k, v in NICKNAMES.items() for n in (k, *v)}
    return sorted(names), people


def names_benchmark() -> dict[str, Any]:
    """`mql bench names`: the junk rules on real people. How often gibberish_name calls a real name
    with one typo gibberish, and how many leads a malformed address alone gets rejected."""
    from flows.settings import Settings
    from tasks.reporting.evaluate import gibberish_false_positives, malformed_email_rejections
    from tasks.screening.fraud import load_fraud_rules

    started = time.perf_counter()
    rules = load_fraud_rules(Settings().fraud_rules_path)
    names, people = reference_names()
    return {"benchmark": "names", "command": "mql bench names",
            "gibberish_name": {**gibberish_false_positives(names, rules.rules.gibberish_name),
                               "target_false_positive_rate_below": 0.001},
            "malformed_email": malformed_email_rejections(people, rules),
            "seconds": round(time.perf_counter() - started, 1)}


def dedupe_scale_benchmark(incoming: int, existing: int, warehouse: str | None, seed: int,
                           folder: Path | None = None) -> dict[str, Any]:
    """`mql bench dedupe-scale`: the dedupe stage's time and peak memory against a lead base."""
    from flows.nightly import resolve_settings
    from flows.settings import warehouse_option
    from tasks.warehouse.connection import parse_url

    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        shutil.rmtree(where / "extracts", ignore_errors=True)  # what an earlier run left, nothing else
        (where / "warehouse.db").unlink(missing_ok=True)
        url = warehouse or f"sqlite:///{(where / 'warehouse.db').resolve()}"
        with warehouse_option(url):
            schema = resolve_settings().warehouse_schema
        figures = dedupe_scale(incoming, existing, url, schema, seed, where)
    shown = parse_url(url, "--warehouse").render_as_string(hide_password=True)  # printed and recorded
    command = f"mql bench dedupe-scale --incoming {incoming} --existing {existing} --seed {seed}" + (
        f" --warehouse {shown}" if warehouse else "")
    return {"benchmark": "dedupe-scale", "command": command, "database": url.split(":", 1)[0], **figures}


def fraud_detection_benchmark(days: int, leads_per_day: int, seed: int, folder: Path | None = None) -> dict[str, Any]:
    """`mql bench fraud`: junk detection against the generator's ground truth."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        shutil.rmtree(where / "extracts", ignore_errors=True)
        os.environ.setdefault("MQL_REPORTS_DIR", str(where / "reports"))  # not the working folder
        extracts, url = _prepare(where, days, leads_per_day, seed)
        _run_days(extracts, url, days)
        figures = bench_fraud(extracts, url)
    command = f"mql bench fraud --days {days} --leads-per-day {leads_per_day} --seed {seed}"
    return {"benchmark": "fraud", "command": command, "days": days, "leads_per_day": leads_per_day,
            "seed": seed, **figures, "seconds": round(time.perf_counter() - started, 1)}


def model_benchmark(days: int, leads_per_day: int, seed: int, model_path: str | None,
                    folder: Path | None = None) -> dict[str, Any]:
    """`mql bench model`: how well the total score ranks the people who went on to buy."""
    started = time.perf_counter()
    figures = model_quality(days, leads_per_day, seed, model_path, folder)
    command = f"mql bench model --days {days} --leads-per-day {leads_per_day} --seed {seed}" + (
        f" --model {model_path}" if model_path else "")
    return {"benchmark": "model", "command": command, **figures, "seconds": round(time.perf_counter() - started, 1)}


def cost_benchmark(days: int, leads_per_day: int, seed: int, warmup_days: int,
                   folder: Path | None = None) -> dict[str, Any]:
    """`mql bench cost`: each night's time over a backfill at constant daily volume."""
    figures = cost_curve(days, leads_per_day, seed, warmup_days, folder)
    command = f"mql bench cost --days {days} --leads-per-day {leads_per_day} --seed {seed} --warmup-days {warmup_days}"
    return {"benchmark": "cost", "command": command, **figures}


def demo_benchmark(days: int, leads_per_day: int, seed: int, folder: Path | None = None) -> dict[str, Any]:
    """The figures `mql demo` prints: duplicate and junk detection on the usual generated mix."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        os.environ.setdefault("MQL_REPORTS_DIR", str(where / "reports"))
        extracts, url = _prepare(where, days, leads_per_day, seed)
        _run_days(extracts, url, days)
        figures = demo_quality(extracts / "ground_truth.csv", url)
    command = f"mql demo --days {days} --leads-per-day {leads_per_day} --seed {seed}"
    return {"benchmark": "demo", "command": command, **figures, "seconds": round(time.perf_counter() - started, 1)}


def time_model_fit(folder: str, as_of: date) -> dict[str, Any]:
    """`fit_from_history` on the pickled frames in `folder`, timed; in a fresh process so that its
    peak memory is its own."""
    from flows.modelling import fit_from_history
    from flows.settings import Settings

    frames = [pd.read_pickle(Path(folder) / f"{name}.pkl") for name in ("history", "activities", "outcomes")]
    started, started_cpu = time.perf_counter(), time.process_time()
    report = fit_from_history(*frames, Settings().model_path, "won", 30, as_of, Path(folder) / "fitted.yaml", None)
    return {"seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - started_cpu, 1),  # steadier than wall time on a busy machine
            "peak_rss_mb": peak_rss_mb(),
            "training_leads": report["training"]["leads"], "validation_leads": report["validation"]["leads"],
            "attributes_fitted": len(report["attributes"]),
            "auc": {name: figures["auc"] for name, figures in report["models"].items()}}


def model_fit_benchmark(leads: int, attributes: int, seed: int, folder: Path | None = None) -> dict[str, Any]:
    """`mql bench model-fit`: time and peak memory of `mql model fit` (without the warehouse read)
    on a made-up history of `leads` leads with `attributes` attributes."""
    import multiprocessing

    from synthetic.wide import last_day, wide_history

    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        frames = wide_history(leads, attributes, seed, FIRST_DAY)
        for name, frame in zip(("history", "activities", "outcomes"), frames):
            frame.to_pickle(where / f"{name}.pkl")
        rows = {name: len(frame) for name, frame in zip(("history", "activities", "outcomes"), frames)}
        del frames
        prepared = time.perf_counter() - started
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            fit = pool.apply(time_model_fit, (str(where), last_day(FIRST_DAY)))
    return {"benchmark": "model-fit", "command": f"mql bench model-fit --leads {leads} --attributes {attributes} "
            f"--seed {seed}", "rows": rows, "setup_seconds": round(prepared, 1), "fit": fit,
            "targets": {"seconds": 300, "peak_rss_mb": 4096,
                        "met": fit["seconds"] <= 300 and fit["peak_rss_mb"] <= 4096}}


NIGHT_TABLES = ("leads", "activities", "outcomes")


def _timed_night(run_date: date, extracts: Path, url: str, schema: str, lead_partitions: int = 1) -> dict[str, Any]:
    """One date run as `mql run` runs it, in a process of its own (flows/night_probe.py)."""
    import json
    import subprocess
    import sys

    # The benchmark's own schema (or file), keyed by a secret of its own unless one is set.
    environment = {"MQL_MATCH_KEY_SECRET": "mql-bench-night-" + "0" * 32, **os.environ, "MQL_WAREHOUSE_SCHEMA": schema,
                   "MQL_LEAD_PARTITIONS": str(lead_partitions)}
    done = subprocess.run([sys.executable, "-m", "flows.night_probe", run_date.isoformat(), str(extracts), url],
                          capture_output=True, text=True, env=environment, cwd=Path(__file__).parent.parent)
    if done.returncode:
        raise MqlError(f"the night of {run_date} failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table_rows(url: str, schema: str) -> dict[str, int]:
    """Rows in each table of the warehouse."""
    import sqlalchemy as sa

    engine = open_warehouse(url, schema, writing=False)
    try:
        where = schema if engine.dialect.name == "postgresql" else None
        with engine.connect() as conn:
            return {name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name, schema=where)))
                              .scalar_one())
                    for name in sorted(sa.inspect(conn).get_table_names(schema=where))}
    finally:
        engine.dispose()


def night_floor(folder: Path, url: str, schema: str, scored: int) -> dict[str, Any]:
    """The I/O floor of a night: read the day's files with pandas' pyarrow reader, then bulk-write
    every input row once, plus one row per lead scored, into plain tables of the same warehouse
    (COPY on PostgreSQL, executemany in one transaction on SQLite); the tables are dropped after."""
    import sqlalchemy as sa

    started = time.perf_counter()
    frames = {name: pd.read_csv(folder / f"{name}.csv", engine="pyarrow", dtype=str) for name in NIGHT_TABLES}
    leads = frames["leads"]
    frames["scores"] = pd.DataFrame({"lead_id": np.resize(leads["source_lead_id"].fillna("").to_numpy(), scored),
                                     "fit_score": 0, "engagement_score": 0, "total_score": 0})
    read = time.perf_counter()
    engine = open_warehouse(url, schema)
    tables = {name: f"io_floor_{name}" for name in frames}
    try:
        where = schema if engine.dialect.name == "postgresql" else None
        with engine.begin() as conn:
            for name, frame in frames.items():
                frame.head(0).to_sql(tables[name], conn, schema=where, index=False, if_exists="replace")
        wrote_from = time.perf_counter()
        with engine.begin() as conn:
            written = {name: bulk_insert(conn, tables[name], frame) for name, frame in frames.items()}
        wrote = time.perf_counter()
        with engine.begin() as conn:
            for table in tables.values():
                sa.Table(table, sa.MetaData(), schema=where).drop(conn)
    finally:
        engine.dispose()
    return {"seconds": round(read - started + wrote - wrote_from, 2), "read_seconds": round(read - started, 2),
            "write_seconds": round(wrote - wrote_from, 2), "rows": written}


def night_benchmark(leads: int, activities_per_lead: float, seed: int, warehouse: str | None,
                    folder: Path | None = None, lead_partitions: int = 1) -> dict[str, Any]:
    """`mql bench night`: a base day, then the timed day (day 2 of the generator's mix on top of
    day 1), each run as `mql run` runs it in a process of its own, against the night's I/O floor
    measured on the same files and warehouse. With `lead_partitions` > 1 the timed night runs its
    per-lead stages in that many partitions on a local Dask cluster (MQL_LEAD_PARTITIONS)."""
    import json
    import multiprocessing

    from flows.nightly import resolve_settings
    from flows.settings import warehouse_option
    from tasks.warehouse.connection import parse_url
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory(prefix="mql-bench-") as scratch:
        where = folder or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        extracts = where / "extracts"
        wanted = {"leads": leads, "activities_per_lead": activities_per_lead, "seed": seed, "first_day": str(FIRST_DAY)}
        made = extracts / "generated.json"
        started = time.perf_counter()
        if not made.exists() or json.loads(made.read_text()) != wanted:  # reuse the days made before
            shutil.rmtree(extracts, ignore_errors=True)
            # In a process of its own: the memory a large day took is given back to the machine
            # before the nights run (this process would keep it, 5.7 GB after a 1 M-lead day).
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(generate_extracts, (extracts, FIRST_DAY, 2, leads, seed),
                           {"activities_per_lead": activities_per_lead})
            made.write_text(json.dumps(wanted))
        generated = time.perf_counter() - started
        url = warehouse or f"sqlite:///{(where / 'warehouse.db').resolve()}"
        with warehouse_option(url):
            schema = resolve_settings().warehouse_schema
        if warehouse is None:
            (where / "warehouse.db").unlink(missing_ok=True)
        else:  # a schema of its own, dropped after
            schema = f"mql_bench_night_{os.getpid()}"
        try:
            base = _timed_night(FIRST_DAY, extracts, url, schema)
            before = _table_rows(url, schema)
            night = _timed_night(FIRST_DAY + timedelta(days=1), extracts, url, schema, lead_partitions)
            after = _table_rows(url, schema)
            written = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
            floor = night_floor(extracts / str(FIRST_DAY + timedelta(days=1)), url, schema,
                                written.get("lead_scores", 0))
        finally:
            if warehouse is not None:
                engine = sa.create_engine(url)
                with engine.begin() as conn:
                    conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
                engine.dispose()
    rows_in = sum(floor["rows"][name] for name in NIGHT_TABLES)
    stage_work = sum(night["stage_seconds"].values())
    prefect = night["prefect_import_seconds"] + night["outside_stages_seconds"]
    shown = parse_url(url, "--warehouse").render_as_string(hide_password=True)
    command = f"mql bench night --leads {leads} --activities-per-lead {activities_per_lead:g} --seed {seed}" + (
        f" --warehouse {shown}" if warehouse else "") + (f" --lead-partitions {lead_partitions}" if lead_partitions > 1 else "")
    return {
        "benchmark": "night", "command": command, "database": url.split(":", 1)[0].split("+")[0],
        "lead_partitions": lead_partitions,
        "input_rows": {name: floor["rows"][name] for name in NIGHT_TABLES},
        "generate_seconds": round(generated, 1),
        "night_over_floor": round(night["wall_seconds"] / floor["seconds"], 2),
        "stage_work_over_floor": round(stage_work / floor["seconds"], 2),
        "night": {key: value for key, value in night.items() if key != "counts"},
        "floor": floor,
        "stage_work_seconds": round(stage_work, 2),
        "fixed_cost": {"prefect_import_seconds": night["prefect_import_seconds"],
                       "gx_import_seconds": night["gx_import_seconds"],
                       "outside_stages_seconds": night["outside_stages_seconds"],
                       "prefect_share": round(prefect / night["wall_seconds"], 3)},
        "rows_written": written,
        "rows_written_per_input_row": round(sum(written.values()) / rows_in, 2),
        "base_night": {key: base[key] for key in ("wall_seconds", "cpu_seconds", "peak_rss_mb")},
        "targets": {"night_over_floor": 3, "peak_rss_mb": 6144, "prefect_share": 0.05},
    }
