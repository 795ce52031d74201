"""`mql bench ...`: benchmarks, each printing its figures as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli.common import bench, console, errors, ModelOption, user_errors, _quiet_prefect


@bench.command("dedupe")
@user_errors
def bench_dedupe(days: Annotated[int, typer.Option(min=1, help="Generated days.")] = 3,
                 leads_per_day: Annotated[int, typer.Option(min=1, help="Lead rows per day.")] = 1000,
                 seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
                 febrl: Annotated[Path | None, typer.Option(help="Folder of the FEBRL files (dataset1-4).")] = None,
                 historical: Annotated[Path | None, typer.Option(
                     help="Folder of the historical figures file (Splink's tutorial data).")] = None,
                 folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here "
                                                            "(default: a temporary folder).")] = None,
                 labels: Annotated[Path | None, typer.Option(
                     help="Your own labels (CSV or Parquet): source_system, source_lead_id, cluster; or labelled "
                          "pairs: source_system, source_lead_id, other_source_system, other_source_lead_id, match.")]
                 = None,
                 extracts: Annotated[Path | None, typer.Option(
                     help="With --labels: the extracts to run (dated folders; default: the labels file's folder).")]
                 = None,
                 warehouse: Annotated[str | None, typer.Option(
                     "--warehouse", help="With --labels: a warehouse already loaded, read instead of running extracts.")]
                 = None) -> None:
    """Identity resolution quality as JSON: pairwise precision, recall and F1 on the generator's
    hard duplicate set run through the nightly flow, and on the FEBRL files when given; with
    --labels, pairwise and cluster precision, recall and F1 against your own labels instead."""
    _quiet_prefect()
    if labels is not None:
        from flows.benchmarks import labelled_dedupe_benchmark

        _print_json(labelled_dedupe_benchmark(labels, extracts, warehouse, folder))
        return
    from flows.benchmarks import dedupe_benchmark

    _print_json(dedupe_benchmark(days, leads_per_day, seed, febrl, folder, historical))


@bench.command("dedupe-scale")
@user_errors
def bench_dedupe_scale(incoming: Annotated[int, typer.Option(min=100, help="Lead rows of the day.")] = 1_000_000,
                       existing: Annotated[int, typer.Option(min=1, help="Leads already in the warehouse.")] = 5_000_000,
                       warehouse: Annotated[str | None, typer.Option(
                           "--warehouse", help="An empty warehouse to load (default: SQLite in the folder).")] = None,
                       seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
                       folder: Annotated[Path | None, typer.Option(help="Keep the files here (default: temporary).")]
                       = None) -> None:
    """Throughput and peak memory of the dedupe stage, as JSON: a day of generated lead rows
    against a lead base already in the warehouse."""
    from flows.benchmarks import dedupe_scale_benchmark

    _print_json(dedupe_scale_benchmark(incoming, existing, warehouse, seed, folder))


@bench.command("fraud")
@user_errors
def bench_fraud(days: Annotated[int, typer.Option(min=1, help="Generated days.")] = 5,
                leads_per_day: Annotated[int, typer.Option(min=1, help="Lead rows per day.")] = 1000,
                seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
                folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here "
                                                           "(default: a temporary folder).")] = None) -> None:
    """Junk detection precision and recall against the generator's ground truth, as JSON."""
    from flows.benchmarks import fraud_detection_benchmark

    _quiet_prefect()
    _print_json(fraud_detection_benchmark(days, leads_per_day, seed, folder))


@bench.command("names")
@user_errors
def bench_names() -> None:
    """The junk rules on real people, as JSON: gibberish_name's false-positive rate on real names
    with every single typo, and the leads rejected only for a malformed email address."""
    from flows.benchmarks import names_benchmark

    _print_json(names_benchmark())


@bench.command("report")
@user_errors
def bench_report(out: Annotated[Path, typer.Option(help="The benchmark page to write.")] = Path("docs/benchmarks.md"),
                 quick: Annotated[bool, typer.Option(help="Tiny sizes: checks the page and its commands in "
                                                          "about a minute; the figures mean little.")] = False,
                 febrl: Annotated[Path | None, typer.Option(
                     help="Folder of the FEBRL files (default: ../shared/benchmarks/febrl beside the checkout, "
                          "when it exists).")] = None,
                 postgres: Annotated[str | None, typer.Option(
                     help="Also time the dedupe stage on this PostgreSQL warehouse, in MQL_WAREHOUSE_SCHEMA "
                          "(an empty schema, e.g. bench).")] = None) -> None:
    """Run the benchmarks and write their figures, the date and the machine to a markdown page."""
    from flows.bench_report import write_report

    _quiet_prefect()
    page = write_report(out, quick=quick, febrl=febrl, postgres_url=postgres,
                        progress=lambda text: errors.print(text))
    console.print(f"wrote {page}")


def _print_json(figures: dict[str, Any]) -> None:
    import json

    print(json.dumps(figures, indent=2))


@bench.command("model")
@user_errors
def bench_model(days: Annotated[int, typer.Option(min=1)] = 14,
                leads_per_day: Annotated[int, typer.Option(min=1)] = 1000,
                seed: Annotated[int, typer.Option()] = 7, model: ModelOption = None,
                folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here.")] = None) -> None:
    """ROC AUC of the scoring model against the generator's hidden conversions, as JSON."""
    _quiet_prefect()
    from flows.benchmarks import model_benchmark

    _print_json(model_benchmark(days, leads_per_day, seed, model, folder))


@bench.command("cost")
@user_errors
def bench_cost(days: Annotated[int, typer.Option(min=3, help="Timed days.")] = 30,
               leads_per_day: Annotated[int, typer.Option(min=1)] = 2000,
               seed: Annotated[int, typer.Option()] = 7,
               warmup_days: Annotated[int, typer.Option(min=1, help="Untimed days loaded first.")] = 10,
               folder: Annotated[Path | None, typer.Option(help="Keep extracts and warehouse here.")] = None) -> None:
    """Nightly run time over a backfill at constant daily volume (does day N cost more than day 1?), as JSON."""
    _quiet_prefect()
    from flows.benchmarks import cost_benchmark

    _print_json(cost_benchmark(days, leads_per_day, seed, warmup_days, folder))


@bench.command("night")
@user_errors
def bench_night(leads: Annotated[int, typer.Option(min=100, help="Lead rows of each generated day.")] = 100_000,
                activities_per_lead: Annotated[float, typer.Option(
                    min=0.5, help="Activities per lead row on the timed day.")] = 10.0,
                seed: Annotated[int, typer.Option()] = 7,
                warehouse: Annotated[str | None, typer.Option(
                    help="Warehouse URL (PostgreSQL: a schema of its own, dropped after); "
                         "default: a SQLite file in the folder.")] = None,
                folder: Annotated[Path | None, typer.Option(
                    help="Keep (and reuse) the generated days here.")] = None,
                lead_partitions: Annotated[int, typer.Option(
                    min=1, help="Run the timed night's per-lead stages in this many partitions on a local Dask "
                                "cluster (one worker process per partition, at most one per core).")] = 1) -> None:
    """A night's wall and CPU time, seconds by stage, rows written, peak memory and fixed cost, against
    its I/O floor (reading the day's files and bulk-writing its rows once), as JSON."""
    _quiet_prefect()
    from flows.benchmarks import night_benchmark

    _print_json(night_benchmark(leads, activities_per_lead, seed, warehouse, folder, lead_partitions))


@bench.command("model-fit")
@user_errors
def bench_model_fit(leads: Annotated[int, typer.Option(min=1000, help="Leads in the made-up history.")] = 1_000_000,
                    attributes: Annotated[int, typer.Option(min=10, help="Attributes per lead.")] = 20,
                    seed: Annotated[int, typer.Option()] = 7,
                    folder: Annotated[Path | None, typer.Option(help="Keep the frames and the model here.")] = None
                    ) -> None:
    """Time and peak memory of `mql model fit` (binning, regression, comparison models, report;
    not the warehouse read) on a made-up history, as JSON."""
    from flows.benchmarks import model_fit_benchmark

    _print_json(model_fit_benchmark(leads, attributes, seed, folder))
