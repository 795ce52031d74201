from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tasks.reporting.evaluate import roc_auc
from tasks.scoring import fitting
from tasks.scoring.model import ScoringModel, load_model
from tests.tasks.scoring.history import FIRST, made_up_history

ROOT = Path(__file__).resolve().parents[3]
LIVE = load_model(ROOT / "config" / "scoring_model.yaml")
CONFIG = fitting.FitConfig(snapshot_days=7, min_positives=50, missing_values=["Select", "N/A"],
                           exclude_fields=["company", "job_title"])
AS_OF = FIRST + timedelta(days=69)


def fitted_model() -> tuple[fitting.TrainingSet, fitting.Scorecard, ScoringModel, pd.Series, pd.Series]:
    history, activities, outcomes, _ = made_up_history()
    training = fitting.training_set(history, activities, outcomes, "won", 30, AS_OF, CONFIG)
    train, validation = fitting.time_split(training.snapshots, CONFIG.validation_share)
    frame = fitting.attribute_frame(training.snapshots, LIVE, CONFIG)
    engagement = fitting.decayed_counts(training, LIVE.engagement)
    label = training.snapshots["label"].fillna(0).to_numpy(dtype=int)
    t = train.to_numpy()
    card = fitting.fit_scorecard(frame[t].reset_index(drop=True), engagement[t].reset_index(drop=True), label[t],
                                 CONFIG)
    document = fitting.scorecard_model(card, LIVE, "fitted-test", 14, 60, {"A": 40, "B": 20}, CONFIG.missing_values)
    return training, card, ScoringModel.model_validate(document), train, validation


def test_training_set_is_point_in_time():
    history, activities, outcomes, _ = made_up_history(leads=400)
    training = fitting.training_set(history, activities, outcomes, "won", 30, AS_OF, CONFIG)
    snaps = training.snapshots
    assert (snaps["snapshot_date"] == snaps["first_run_date"] + pd.Timedelta(days=7)).all()
    assert (snaps["snapshot_date"] <= pd.Timestamp(AS_OF)).all()
    # a label only where the horizon has passed by the as-of date
    matured = snaps["snapshot_date"] + pd.Timedelta(days=30) <= pd.Timestamp(AS_OF)
    assert snaps["label"].notna().equals(matured)
    # no activity after a lead's snapshot date is seen
    assert (training.activities["run_date"] <= training.activities["snapshot_date"]).all()
    # a lead already won by its snapshot is not a training case
    won = outcomes.assign(run_date=pd.to_datetime(outcomes["run_date"])).set_index("lead_id")["run_date"]
    kept = snaps.set_index("lead_id")["snapshot_date"]
    assert not (won.reindex(kept.index) <= kept).any()
    train, validation = fitting.time_split(snaps, 0.25)
    assert snaps.loc[train, "snapshot_date"].max() < snaps.loc[validation, "snapshot_date"].min()
    assert not (train & validation).any() and (train | validation).equals(snaps["label"].notna())


def test_training_set_of_a_young_history_or_one_without_outcomes():
    history, activities, outcomes, _ = made_up_history(leads=100)
    young = fitting.training_set(history, activities, outcomes, "won", 30, FIRST + timedelta(days=2), CONFIG)
    assert young.snapshots.empty and young.activities.empty  # no snapshot date has come
    unsold = fitting.training_set(history, activities, outcomes.iloc[:0], "won", 30, AS_OF, CONFIG)
    assert len(unsold.snapshots) == 100 and unsold.snapshots["label"].dropna().eq(0).all()


def test_fitted_scorecard_is_a_valid_model_that_ranks_like_the_truth():
    training, card, model, train, validation = fitted_model()
    # categories were matched without case, placeholders and rare values did not get bins of their own
    sector = next(b for b in card.binnings if b.field == "sector")
    tokens = {c for g in sector.groups for c in g}
    assert {"alpha", "beta", "gamma", "delta", fitting.OTHER} == tokens
    points = dict(zip(["alpha", "beta", "gamma", "delta"],
                      [card.bin_points["sector"][next(i for i, g in enumerate(sector.groups) if c in g)]
                       for c in ["alpha", "beta", "gamma", "delta"]]))
    assert points["alpha"] > points["beta"] > points["delta"]
    assert card.activity_points["demo_request"] > 0
    scored = fitting.snapshot_scores(training, model)
    label = training.snapshots["label"]
    auc = roc_auc(scored.loc[validation, "total_score"].reset_index(drop=True),
                  label[validation].astype(bool).reset_index(drop=True))
    assert auc > 0.68
    assert all(isinstance(b.points, float) and b.points == int(b.points) for r in model.fit.rules
               for b in (r.bins or ()))  # integer points


def test_snapshot_scores_match_the_nightly_scorer():
    """Scoring a snapshot in one go equals scoring the lead night by night with carried state."""
    from tasks.scoring.score import score_leads, derive_attributes

    history, activities, outcomes, _ = made_up_history(leads=60)
    training = fitting.training_set(history, activities, outcomes, "won", 30, AS_OF, CONFIG)
    scored = fitting.snapshot_scores(training, LIVE).set_index("lead_id")
    in_chunks = fitting.snapshot_scores(training, LIVE, chunk=7).set_index("lead_id")  # 7 leads at a time
    pd.testing.assert_frame_equal(in_chunks, scored)
    acts = training.activities
    active = acts.groupby("lead_id")["run_date"].nunique().sort_values(ascending=False).index[:6]
    idle = training.snapshots.loc[~training.snapshots["lead_id"].isin(acts["lead_id"]), "lead_id"].iloc[:2]
    assert acts.groupby("lead_id")["run_date"].nunique().max() > 1  # decay across days is exercised
    chosen = training.snapshots[training.snapshots["lead_id"].isin([*active, *idle])]
    for lead, snap in chosen[["lead_id", "snapshot_date"]].itertuples(index=False):
        profile = derive_attributes(training.snapshots[training.snapshots["lead_id"] == lead], LIVE)
        state = pd.DataFrame(columns=["lead_id", "rule", "decayed_value", "state_date"])
        for day in sorted(acts.loc[acts["lead_id"] == lead, "run_date"].unique()):
            today = acts[(acts["lead_id"] == lead) & (acts["run_date"] == day)]
            rows = score_leads(profile, state, today, pd.Timestamp(day).date(), LIVE).contributions
            rows = rows[rows["kind"] == "engagement"]
            state = rows[["lead_id", "rule", "decayed_value"]].assign(state_date=pd.Timestamp(day).date().isoformat())
        final = score_leads(profile, state, acts.iloc[0:0], pd.Timestamp(snap).date(), LIVE).scores.iloc[0]
        assert scored.loc[lead, "total_score"] == pytest.approx(final["total_score"], abs=0.02)


def test_threshold_for_weekly_capacity():
    dates = pd.Series(pd.to_datetime([date(2026, 3, 2) + timedelta(days=i % 14) for i in range(140)]))
    total = pd.Series(np.arange(140, dtype=float))
    assert fitting.choose_threshold(total, dates, 10, 0.1) == 120.0  # 2 weeks x 10 = the top 20
    assert fitting.choose_threshold(total, dates, None, 0.25) == 105.0  # the top 35


def test_numeric_bins_follow_one_trend():
    """Bins whose conversion goes against the attribute's overall trend are merged."""
    x = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], 100)
    rates = {1.0: 0.1, 2.0: 0.3, 3.0: 0.2, 4.0: 0.5, 5.0: 0.6}  # 3 dips below 2
    y = np.concatenate([(np.arange(100) < rates[v] * 100).astype(int) for v in rates])
    edges = fitting._monotone_edges(x, y, [1.5, 2.5, 3.5, 4.5])
    assert edges == [1.5, 3.5, 4.5]  # 2 and 3 pooled: 0.1 < 0.25 < 0.5 < 0.6
    assert fitting._monotone_edges(x, 1 - y, [1.5, 2.5, 3.5, 4.5]) == [1.5, 3.5, 4.5]  # falling trend too


def test_threshold_for_a_target_rate_takes_the_most_mqls_that_reach_it():
    total = pd.Series([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    label = pd.Series([1, 1, 0, 1, 0, 0, 1, 0, 0, 0])  # at or above 7: 3 of 4; 6: 3 of 5; 3: 4 of 8; 1: 4 of 10
    found = fitting.threshold_for_rate(total, label, 0.5, 1)
    assert (found.threshold, found.rate, found.mqls, found.best_rate) == (3.0, 0.5, 8, 1.0)
    found = fitting.threshold_for_rate(total, label, 0.6, 1)
    assert (found.threshold, found.rate, found.mqls) == (6.0, 0.6, 5)
    found = fitting.threshold_for_rate(total, label, 0.7, 3)  # the top two (100%) are too few to count
    assert (found.threshold, found.rate, found.mqls) == (7.0, 0.75, 4)
    found = fitting.threshold_for_rate(total, label, 0.8, 3)
    assert (found.threshold, found.rate, found.mqls, found.best_rate) == (None, None, 0, 0.75)
    tied = fitting.threshold_for_rate(pd.Series([5.0, 5, 5, 1]), pd.Series([1, 1, 0, 0]), 0.6, 1)
    assert (tied.threshold, tied.mqls) == (5.0, 3)  # a total is never split: 2 of 3 at 5
    tenths = fitting.threshold_for_rate(pd.Series([3.37, 3.31, 3.25, 1.0]), pd.Series([1, 1, 0, 0]), 0.7, 1)
    assert (tenths.threshold, tenths.mqls) == (3.3, 2)  # 3.37 and 3.31 are at or above 3.3, 3.25 is not
