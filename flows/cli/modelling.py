"""`mql model ...`: learn a scoring model from the warehouse's outcomes, and measure any model on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (app, console, user_errors, parse_date, warehouse_settings, ExtractsOption,
                              WarehouseOption)
from tasks.errors import MqlError

model_app = typer.Typer(help="Scoring models learned from, and measured on, the warehouse's own outcomes.",
                        no_args_is_help=True)
app.add_typer(model_app, name="model")

TargetOption = Annotated[str, typer.Option(help="Outcome to predict: won, opportunity or sql.")]
HorizonOption = Annotated[int, typer.Option(min=1, help="Days after a lead's snapshot its outcome counts.")]
AsOfOption = Annotated[str | None, typer.Option(help="Use only what was loaded by this date, YYYY-MM-DD "
                                                     "(default: the latest loaded run date).")]


def _as_of(text: str | None, url: str, schema: str):
    if text:
        return parse_date(text, "--as-of")
    from tasks.warehouse.connection import open_warehouse, query

    engine = open_warehouse(url, schema, writing=False)
    try:
        with engine.connect() as conn:
            latest = query(conn, "model_latest_date")["run_date"].iloc[0]
    finally:
        engine.dispose()
    if latest is None:
        raise MqlError("the warehouse has no loaded run date: run the nightly flow first")
    return parse_date(str(latest)[:10], "the latest run date")


@model_app.command("fit")
@user_errors
def fit(out: Annotated[Path, typer.Option(help="The model YAML to write (never the live model file).")],
        target: TargetOption = "won", horizon_days: HorizonOption = 90, as_of: AsOfOption = None,
        mql_per_week: Annotated[float | None, typer.Option(min=0.1, help="Sales capacity: the MQL threshold gives "
                                                                         "about this many MQLs a week.")] = None,
        target_rate: Annotated[float | None, typer.Option(help="Or a conversion goal: the lowest MQL threshold whose "
                                                               "MQLs reach the target at this rate (0.3 = 30%) on the "
                                                               "validation window.")] = None,
        warehouse: WarehouseOption = None) -> None:
    """Fit an explainable points model to the warehouse's outcomes; writes the model and its report
    (<out>.report.json and .html) and prints the report's headline figures."""
    from flows.modelling import fit_model

    from flows.modelling import check_goal

    check_goal(mql_per_week, target_rate)  # before anything is read
    settings = warehouse_settings(warehouse)
    day = _as_of(as_of, settings.warehouse_url, settings.warehouse_schema)
    report = fit_model(settings.warehouse_url, settings.warehouse_schema, settings.model_path, target, horizon_days,
                       day, out, mql_per_week, target_rate=target_rate)
    models = report["models"]
    console.print(f"wrote {out} (version {report['version']}) and {out.parent / (out.stem + '.report.html')}")
    console.print("validation ROC AUC: " + ", ".join(f"{name} {m['auc']}" for name, m in models.items()))
    t = report["threshold"]
    console.print(f"MQL threshold {t['entry_min_total']:g} ({report['threshold_goal']}): {t['mqls_per_week']} a week, "
                  f"conversion {t['mql_conversion']}, {t['share_of_conversions_captured']} of conversions")


@model_app.command("evaluate")
@user_errors
def evaluate(model: Annotated[Path, typer.Option("--model", help="The scoring model YAML to measure.")],
             start: Annotated[str | None, typer.Option(help="First snapshot date, YYYY-MM-DD.")] = None,
             end: Annotated[str | None, typer.Option(help="Last snapshot date, YYYY-MM-DD.")] = None,
             target: TargetOption = "won", horizon_days: HorizonOption = 90, as_of: AsOfOption = None,
             out: Annotated[Path | None, typer.Option(help="Also write <out>.json and <out>.html.")] = None,
             warehouse: WarehouseOption = None) -> None:
    """A model's ranking on the warehouse's own history and outcomes, beside the live model's, as JSON."""
    from flows.modelling import evaluate_model

    settings = warehouse_settings(warehouse)
    day = _as_of(as_of, settings.warehouse_url, settings.warehouse_schema)
    first = parse_date(start, "--start") if start else None
    last = parse_date(end, "--end") if end else None
    if first and last and last < first:
        raise MqlError(f"--end {last} is before --start {first}")
    report = evaluate_model(settings.warehouse_url, settings.warehouse_schema, model, settings.model_path, target,
                            horizon_days, day, first, last, out)
    from tasks.reporting.model_quality import finite

    print(json.dumps(finite(report), indent=2, default=str))


@model_app.command("whatif")
@user_errors
def whatif(model: Annotated[Path, typer.Option("--model", help="The scoring model YAML to replay with.")],
           start: Annotated[str, typer.Option(help="First date to replay, YYYY-MM-DD.")],
           end: Annotated[str, typer.Option(help="Last date to replay, YYYY-MM-DD.")],
           extracts: ExtractsOption = None, warehouse: WarehouseOption = None,
           out: Annotated[Path | None, typer.Option(help="Also write the JSON to this file.")] = None,
           examples: Annotated[int, typer.Option(min=0, help="Gained and lost leads listed.")] = 10,
           keep: Annotated[bool, typer.Option(help="Keep the scratch copy (printed in the JSON) for a look.")] = False
           ) -> None:
    """Replay the loaded dates from --start to --end with another model into a scratch copy of the warehouse
    (never the live tables) and print, as JSON, its funnel beside the live one and the leads it gains and loses."""
    from flows.settings import warehouse_option
    from flows.whatif import plan_replay, whatif as replay
    from tasks.reporting.model_quality import finite

    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    settings = warehouse_settings(warehouse)
    plan_replay(settings, first, last, model, extracts)  # a refusal is one line, before anything starts
    with warehouse_option(warehouse):  # the flow reads it from there, never as a parameter
        result = replay(start_date=first, end_date=last, model_path=str(model), extracts_dir=extracts,
                        examples=examples, keep=keep)
    text = json.dumps(finite(result), indent=2, default=str)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    print(text)
