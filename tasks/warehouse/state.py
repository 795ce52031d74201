"""Lead state across run dates: read what the day before left, assemble the day's rows, write them.

Reads are point-in-time (only rows of earlier run dates), so re-running a date sees exactly
what the nightly run saw. The write replaces the run date and everything after it in one
transaction.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Connection, Engine

from tasks.identity.assignment import Assignment, Known, source_key
from tasks.identity.blocking import block_sizes
from tasks.intake.contract import SALES_STATUSES
from tasks.scoring.qualify import MERGE_ORDER, Lifecycle
from tasks.scoring.score import WINDOW_COLUMNS, Scores, ledgers
from tasks.warehouse import rerun
from tasks.warehouse.connection import bulk_insert, execute_joined, query, query_joined, run_script
from tasks.warehouse.retirement import Retirement

TIMESTAMP_COLUMNS = ("created_at", "updated_at", "stage_changed_at", "first_mql_at", "last_mql_at",
                     "entered_at", "exited_at", "occurred_at")
DATE_COLUMNS = ("run_date", "first_run_date", "last_run_date", "state_date", "entered_run_date", "exited_run_date",
                "review_on")
BOOL_COLUMNS = ("email_consent", "do_not_contact")
REAL_COLUMNS = ("annual_revenue", "fit_score", "engagement_score", "total_score", "decayed_value", "value")
LEAD_TABLE_COLUMNS = (
    "lead_id", "email", "email_key", "first_name", "last_name", "phone", "phone_e164", "company",
    "job_title", "seniority", "department", "industry", "employee_count", "annual_revenue", "country",
    "region", "city", "lead_source", "campaign", "utm_source", "utm_medium", "utm_campaign",
    "email_consent", "do_not_contact", "custom_attributes", "provenance", "created_at", "updated_at", "fit_score",
    "engagement_score", "total_score", "grade", "lifecycle_stage", "stage_changed_at", "first_mql_at",
    "last_mql_at", "model_version", "interests", "review_on", "first_run_date", "last_run_date",
)


@dataclass(frozen=True)
class LeadState:
    """What the warehouse knew about some leads at the end of the day before a run date."""

    profiles: pd.DataFrame     # `leads` columns
    engagement: pd.DataFrame   # lead_id, rule, decayed_value, state_date
    enrollments: pd.DataFrame  # open enrollments: lead_id, segment, entered_run_date, entered_at
    # Under a window decay, the window's earlier countable activities (score.WINDOW_COLUMNS); else empty.
    window_activities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WINDOW_COLUMNS))
    # Leads absorbed on the run date into older ones (see absorb): their profiles under the
    # survivor's id (survivorship reads them with the survivor's), and every countable activity of
    # the merged leads before the run date under the survivor's id (their engagement is replayed
    # from it: score.replayed_state).
    absorbed_profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    merged_activities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WINDOW_COLUMNS))


@dataclass(frozen=True)
class DayResult:
    """Every row a run date writes, by table (its `leads` rows are its lead_history rows too, copied
    in the warehouse: sql/state/record_lead_history.sql)."""

    leads: pd.DataFrame
    lead_identities: pd.DataFrame
    lead_match_keys: pd.DataFrame
    lead_merges: pd.DataFrame
    lead_moves: pd.DataFrame
    lead_scores: pd.DataFrame
    mql_events: pd.DataFrame
    handoffs: pd.DataFrame
    source_record_states: pd.DataFrame
    lead_retirements: pd.DataFrame
    nurture_enrollments: pd.DataFrame
    activities: pd.DataFrame
    sales_outcomes: pd.DataFrame
    source_lifecycle: pd.DataFrame
    rejected_leads: pd.DataFrame
    quarantined_rows: pd.DataFrame


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Warehouse values as the stages expect them, whichever database they came from
    (SQLite returns timestamps and dates as text and booleans as integers)."""
    out = frame.copy()
    for name in out.columns:
        if name in TIMESTAMP_COLUMNS:
            out[name] = pd.to_datetime(out[name], utc=True, format="ISO8601")
        elif name in DATE_COLUMNS:
            out[name] = out[name].map(lambda d: None if pd.isna(d) else str(d)[:10]).astype(object)
        elif name in BOOL_COLUMNS:
            out[name] = out[name].astype(bool)
    return out


@dataclass(frozen=True)
class LaterMoves:
    """Records that lead-to-lead merges on or after a run date moved (none, but in a re-run): a
    re-run reads the lead base as it was before them, each such record in the lead it had then."""

    before: pd.Series   # per source key (assignment.source_key): the lead the record had before the date
    holders: np.ndarray  # the leads holding such records now

    @classmethod
    def read(cls, conn: Connection, run_date: date) -> LaterMoves:
        moves = query(conn, "lookup_moves", {"run_date": run_date})
        keys = source_key(moves["source_system"], moves["source_lead_id"]) if len(moves) else pd.Series(dtype=object)
        first = ~keys.duplicated().to_numpy()
        return cls(before=pd.Series(moves["from_lead_id"].to_numpy(dtype=object)[first],
                                    index=keys.to_numpy(dtype=object)[first], dtype=object),
                   holders=pd.unique(moves["to_lead_id"].to_numpy(dtype=object)))

    def __bool__(self) -> bool:
        return len(self.before) > 0

    def widen(self, leads: pd.Series) -> pd.Series:
        """`leads` and the leads holding now records that were one of theirs (to read them from)."""
        return pd.concat([leads.astype(object), pd.Series(self.holders, dtype=object)]).drop_duplicates() \
            if self else leads

    def relabel(self, frame: pd.DataFrame, lead: str = "lead_id", system: str = "source_system",
                record: str = "source_lead_id") -> pd.DataFrame:
        """`frame` with each moved record's lead as it was before the run date."""
        if not self or frame.empty:
            return frame
        was = source_key(frame[system], frame[record]).map(self.before)
        return frame.assign(**{lead: was.where(was.notna(), frame[lead]).astype(object)})


class Lookup:
    """What the warehouse knew before `run_date` of a day's records: started with the source
    records the day's rows, activities and outcomes name (`source_ids`), whose look-ups begin at
    once, while the caller works out the day's match keys; finished by `known`.

    The look-ups run side by side on `connections` connections, the large ones in slices: the
    database does most of the work, with Python's lock released (an in-memory SQLite database,
    one per connection, is read on the caller's thread)."""

    def __init__(self, engine: Engine, source_ids: pd.DataFrame, run_date: date, connections: int = 2) -> None:
        self.engine, self.params = engine, {"run_date": run_date}
        in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        self.workers = 1 if in_memory else max(1, connections)
        self.pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        ids = source_ids[["source_system", "source_lead_id"]].astype(str).drop_duplicates()
        self.sources, self.splits = self._submit("lookup_identities", ids), self._submit("lookup_splits", ids)
        with engine.connect() as conn:
            self.moves = LaterMoves.read(conn, run_date)

    def __enter__(self) -> Lookup:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, name: str, values: pd.DataFrame) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return query_joined(conn, name, values, self.params)

    def _submit(self, name: str, values: pd.DataFrame) -> Future[pd.DataFrame]:
        if self.pool is None:
            done: Future[pd.DataFrame] = Future()
            done.set_result(self._run(name, values))
            return done
        return self.pool.submit(self._run, name, values)

    def _sliced(self, name: str, values: pd.DataFrame) -> pd.DataFrame:
        size = max(1, -(-len(values) // self.workers))
        parts = [self._submit(name, values.iloc[start:start + size]) for start in range(0, max(len(values), 1), size)]
        return pd.concat([part.result() for part in parts], ignore_index=True)

    def known(self, day_keys: pd.DataFrame, max_block: int) -> Known:
        """The leads holding the day's match keys (`dedupe.row_keys`) and the day's records, and
        splits; with each record of those leads and its match fields, for leads found by a key
        no more than `max_block` leads hold (others do not block)."""
        # Sorted: the index is read page by page.
        hashes = pd.DataFrame({"key_hash": np.sort(pd.unique(day_keys["key_hash"].to_numpy(dtype=np.int64)))})
        keys = self._sliced("lookup_match_keys", hashes).astype({"key_hash": "int64"})
        sources = self.moves.relabel(self.sources.result())
        usable = keys[block_sizes(keys["key_hash"]) <= max_block]
        leads = pd.unique(np.concatenate([usable["lead_id"].to_numpy(dtype=object),
                                          sources["lead_id"].to_numpy(dtype=object)]))
        # In order, as above. Arrow sorts text in Python's order, several times quicker.
        wanted = leads
        leads = self.moves.widen(pd.Series(leads, dtype=object)).to_numpy(dtype=object)
        leads = pd.DataFrame({"lead_id": leads[pc.array_sort_indices(pa.array(leads, type=pa.string())).to_numpy()]})
        candidates = self._sliced("lookup_candidates", leads.astype(str))
        if self.moves:  # records as they were before the run date, of the leads wanted
            candidates = self.moves.relabel(candidates)
            candidates = candidates[candidates["lead_id"].isin(wanted)].reset_index(drop=True)
        splits = self.moves.relabel(self.moves.relabel(self.splits.result()), "other_lead_id", "other_source_system",
                                    "other_source_lead_id")
        return Known(
            keys=keys,
            sources=pd.DataFrame({"source_key": source_key(sources["source_system"], sources["source_lead_id"]),
                                  "lead_id": sources["lead_id"]}),
            candidates=candidates,
            splits=pd.DataFrame({
                "source_key": source_key(splits["source_system"], splits["source_lead_id"]),
                "other_key": source_key(splits["other_source_system"], splits["other_source_lead_id"]),
                "lead_id": splits["lead_id"], "other_lead_id": splits["other_lead_id"],
            }),
        )


def _sorted_ids(lead_ids: pd.Series) -> pd.DataFrame:
    ids = pd.unique(lead_ids.dropna().astype(str).to_numpy(dtype=object))
    # In order: the indexes are read page by page. Arrow sorts text in Python's order, quicker.
    return pd.DataFrame({"lead_id": ids[pc.array_sort_indices(pa.array(ids, type=pa.string())).to_numpy()]})


# The decayed value per engagement rule (lead_id, rule, decayed_value, state_date) that leads carry
# out of their last scoring, unpacked from its contributions by the database.
ENGAGEMENT_STATE = {"sqlite": "engagement_state", "postgresql": "engagement_state_postgresql"}


def load_lead_state(conn: Connection, lead_ids: pd.Series, run_date: date, window_days: int | None = None,
                    absorbed: pd.Series | None = None) -> LeadState:
    """The state of `lead_ids` at the end of the day before `run_date`, looked up as the dedupe
    stage looks up records (one bound list, joined; its cost follows the leads, not the tables);
    with `window_days` (a window decay), also their activities of the window's earlier days.
    `absorbed`: leads absorbed on the run date (index) and the lead absorbing each (see absorb)."""
    params = {"run_date": run_date, "window_start": run_date - timedelta(days=window_days or 0)}
    absorbed = absorbed if absorbed is not None else pd.Series(dtype=object)
    wanted = pd.concat([lead_ids.astype(object), pd.Series(absorbed.index, dtype=object)])
    ids = _sorted_ids(wanted)
    moves = LaterMoves.read(conn, run_date)  # a re-run: activities as they were before later merges

    def read(name: str, ids: pd.DataFrame = ids, params: dict = params) -> pd.DataFrame:
        # Columns typed from their values as a driver's rows are (text, numbers with NaN where
        # missing), the real-number ones as floats whatever JSON made of a whole number.
        found = query_joined(conn, name, ids, params)
        frame = pd.DataFrame({column: found[column].tolist() for column in found.columns}, columns=found.columns)
        if frame.empty:  # no values to type from: plain objects, as a driver's empty result
            frame = frame.astype(object)
        floats = [column for column in REAL_COLUMNS if column in frame.columns]
        return typed(frame.astype({column: "float64" for column in floats}))

    def activities(ids: pd.DataFrame, params: dict) -> pd.DataFrame:
        found = moves.relabel(read("window_activities", _sorted_ids(moves.widen(ids["lead_id"])), params))
        return found[found["lead_id"].isin(ids["lead_id"])].reindex(columns=WINDOW_COLUMNS).reset_index(drop=True)

    window = activities(ids, params) if window_days else None
    state = LeadState(profiles=read("lead_state").drop(columns=["run_date"], errors="ignore"),
                      engagement=read(ENGAGEMENT_STATE[conn.dialect.name]), enrollments=read("open_enrollments"),
                      **({"window_activities": window} if window is not None else {}))
    if absorbed.empty:
        return state
    # Every countable activity the merged leads had: the same look-up, its window from the start.
    merged = _sorted_ids(pd.concat([pd.Series(absorbed.index, dtype=object), absorbed.astype(object)]))
    return absorb(state, absorbed, activities(merged, {**params, "window_start": date.min}))


def absorb(state: LeadState, absorbed: pd.Series, history: pd.DataFrame) -> LeadState:
    """The state of the day's leads once the `absorbed` leads (index) are merged into the leads
    that absorb them: their profiles set apart under the survivor's id (golden records are rebuilt
    from both); their engagement and enrollments gone (engagement is replayed from `history`,
    every countable activity of both leads, relabelled to the survivor; their open enrollments end
    at the write, absorb_leads.sql)."""
    gone = state.profiles["lead_id"].isin(absorbed.index)
    merged = absorbed.reindex(state.profiles.loc[gone, "lead_id"]).to_numpy(dtype=object)
    history = history.assign(lead_id=history["lead_id"].map(lambda lead: absorbed.get(lead, lead)))
    survivors = set(absorbed.to_numpy(dtype=object))
    # Under a window decay, the survivors' window is read from both leads' activities (window_points
    # keeps the window's days); else the window is not read.
    window = state.window_activities
    window = pd.concat([window[~window["lead_id"].isin(survivors | set(absorbed.index))], history],
                       ignore_index=True)
    # The survivors carry the lifecycle of both leads (merged_state), in place of their own.
    profiles = state.profiles[~gone].reset_index(drop=True)
    combined = profiles[["lead_id"]].merge(merged_state(state.profiles, absorbed), on="lead_id", how="left")
    held = combined["stage_from"].notna()
    if held.any():
        profiles = profiles.assign(**{column: combined[column].where(held, profiles[column])
                                      for column in CARRIED_STATE})
    return LeadState(
        profiles=profiles,
        engagement=state.engagement[~state.engagement["lead_id"].isin(survivors | set(absorbed.index))]
        .reset_index(drop=True),
        enrollments=state.enrollments[~state.enrollments["lead_id"].isin(absorbed.index)].reset_index(drop=True),
        window_activities=window,
        absorbed_profiles=state.profiles[gone].assign(lead_id=merged).reset_index(drop=True),
        merged_activities=history,
    )


def due_for_review(conn: Connection, run_date: date) -> pd.Series:
    """Leads that earlier runs scheduled for a look by `run_date` (see qualify.review_dates)."""
    previous = query(conn, "previous_run_date", {"run_date": run_date})["run_date"].iloc[0]
    if previous is None or pd.isna(previous):
        return pd.Series([], dtype=object)
    due = query(conn, "due_for_review", {"run_date": run_date, "previous_run_date": previous})
    return due["lead_id"].astype(object)


def loaded_dates_after(conn: Connection, run_date: date) -> list[date]:
    """Run dates after `run_date` whose results are loaded (they must be re-run after it)."""
    dates = query(conn, "loaded_dates_after", {"run_date": run_date})["run_date"]
    return [date.fromisoformat(str(d)[:10]) for d in dates]


def write_day(conn: Connection, run_date: date, day: DayResult) -> dict[str, int]:
    """Replace `run_date` and every later date with the day's rows; returns rows written per table."""
    rerun.rewind(conn, run_date)
    execute_joined(conn, "delete_leads", _sorted_ids(day.leads["lead_id"]))
    # The day writes back the open enrollments of its leads and of those it retires, closed or still open.
    execute_joined(conn, "delete_open_enrollments",
                   _sorted_ids(pd.concat([day.leads["lead_id"], day.nurture_enrollments["lead_id"]])))
    written = {}
    for table in fields(day):
        written[table.name] = bulk_insert(conn, table.name, getattr(day, table.name))
        if table.name == "leads":  # and as the date's history, copied in the warehouse
            run_script(conn, "record_lead_history", {"run_date": run_date})
            written["lead_history"] = written["leads"]
    if len(day.lead_moves):  # lead-to-lead merges: the absorbed leads' rows go to the survivors
        rerun.apply_moves(conn, run_date)
        run_script(conn, "absorb_leads", {"run_date": run_date, "merged_at": end_of_day(run_date).to_pydatetime()})
    return written


CARRIED_STATE = ("lifecycle_stage", "stage_changed_at", "first_mql_at", "last_mql_at", "first_run_date", "interests")


def merged_state(profiles: pd.DataFrame, absorbed: pd.Series) -> pd.DataFrame:
    """What each lead absorbing others carries into the run date once merged with them, from
    `profiles` (lead_id and CARRIED_STATE, typed) of both sides the day before; `absorbed`: each
    absorbed lead (index) and the lead absorbing it. Per survivor (lead_id): the later stage in
    qualify.MERGE_ORDER and since when (of equal stages the earlier), `stage_from` the lead it came
    from (the survivor's own on a tie); the earliest first MQL and first run date, the latest last
    MQL; the interests of both. A survivor without a row is left out."""
    into = profiles["lead_id"].map(lambda lead: absorbed.get(lead, lead)).astype(object)
    sides = profiles.assign(survivor=into)[into.isin(set(absorbed.to_numpy(dtype=object))).to_numpy()]
    sides = sides[sides["survivor"].isin(sides["lead_id"])]
    rank = {stage: position for position, stage in enumerate(MERGE_ORDER)}
    ordered = sides.assign(rank=sides["lifecycle_stage"].map(rank).fillna(-1),
                           other=(sides["lead_id"] != sides["survivor"]).astype(int))
    ordered = ordered.sort_values(["survivor", "rank", "stage_changed_at", "other"],
                                  ascending=[True, False, True, True], na_position="last", kind="stable")
    kept = ordered.drop_duplicates("survivor").set_index("survivor")

    def extreme(column: str, how: str) -> pd.Series:
        present = sides[sides[column].notna()]
        return getattr(present.groupby("survivor")[column], how)().reindex(kept.index)

    topics = sides.assign(topics=sides["interests"].map(lambda text: set(json.loads(text)) if isinstance(text, str)
                                                        else set())).groupby("survivor")["topics"]
    return pd.DataFrame({
        "lifecycle_stage": kept["lifecycle_stage"].astype(object),
        "stage_changed_at": kept["stage_changed_at"],
        "first_mql_at": extreme("first_mql_at", "min"),
        "last_mql_at": extreme("last_mql_at", "max"),
        "first_run_date": extreme("first_run_date", "min").astype(object),
        "interests": [json.dumps(sorted(set().union(*sets))) for sets in topics.agg(list).reindex(kept.index)],
        "stage_from": kept["lead_id"].astype(object),
    }, index=kept.index).rename_axis("lead_id").reset_index()


def day_profiles(golden: pd.DataFrame, prior: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """Profiles of every lead the run date touches: merged golden records for leads with new
    rows, the carried profile for leads with only activities or outcomes; plus their lifecycle.
    An unsubscribe (not by a bot) withdraws email consent."""
    carried = prior.loc[~prior["lead_id"].isin(golden["lead_id"]), list(golden.columns)]
    profiles = pd.concat([golden, carried], ignore_index=True)
    profiles = profiles.merge(prior[["lead_id", *CARRIED_STATE]], on="lead_id", how="left")
    unsubscribed = activities.loc[(activities["activity_type"] == "unsubscribe") & activities["bot_reason"].isna(),
                                  "lead_id"]
    profiles.loc[profiles["lead_id"].isin(unsubscribed), "email_consent"] = False
    return profiles


def end_of_day(run_date: date) -> pd.Timestamp:
    return pd.Timestamp(run_date, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


OUTCOME_ROW = ["row_number", "source_system", "source_lead_id", "lead_id", "occurred_at", "status", "reason"]


def is_sales(outcomes: pd.DataFrame) -> pd.Series:
    """Which outcome rows are sales feedback (the rest are the source system's own lifecycle flags)."""
    return outcomes["status"].isin(SALES_STATUSES)


def sales_feedback(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The sales feedback among the day's outcome rows: what moves a lead's lifecycle stage."""
    return outcomes[is_sales(outcomes)]


def event_times(lead_ids: pd.Series, golden: pd.DataFrame, activities: pd.DataFrame, outcomes: pd.DataFrame,
                run_date: date) -> pd.Series:
    """When each lead last acted on the run date (a new or updated row, an activity, an outcome),
    the time its changes are stamped with; the end of the day if it did not act."""
    times = pd.concat([
        golden[["lead_id", "updated_at"]].rename(columns={"updated_at": "at"}),
        activities[["lead_id", "occurred_at"]].rename(columns={"occurred_at": "at"}),
        sales_feedback(outcomes)[["lead_id", "occurred_at"]].rename(columns={"occurred_at": "at"}),
    ], ignore_index=True).dropna()
    latest = times.groupby("lead_id")["at"].max()
    # Reindexed rather than mapped: a day on which no lead acted maps through an empty series,
    # which pandas cannot do from timestamps.
    return pd.Series(latest.reindex(lead_ids.to_numpy()).to_numpy(), index=lead_ids.index,
                     name=lead_ids.name).fillna(end_of_day(run_date))


def lead_rows(profiles: pd.DataFrame, scores: pd.DataFrame, lifecycle: pd.DataFrame,
              model_version: str, run_date: date) -> pd.DataFrame:
    """The `leads` rows of the run date's leads: profile, scores and lifecycle together."""
    rows = profiles.drop(columns=["fit_score", "engagement_score", "total_score", "grade", "lifecycle_stage",
                                  "stage_changed_at", "first_mql_at", "last_mql_at", "review_on"], errors="ignore")
    rows = rows.merge(scores, on="lead_id").merge(lifecycle, on="lead_id")
    day = run_date.isoformat()
    rows["first_run_date"] = rows["first_run_date"].where(rows["first_run_date"].notna(), day)
    rows["last_run_date"] = day
    rows["model_version"] = model_version
    rows["employee_count"] = pd.to_numeric(rows["employee_count"], errors="coerce").round().astype("Int64")
    rows["annual_revenue"] = pd.to_numeric(rows["annual_revenue"], errors="coerce")
    return rows[list(LEAD_TABLE_COLUMNS)].sort_values("lead_id", ignore_index=True)


def day_result(run_date: date, model_version: str, leads: pd.DataFrame, assigned: Assignment, scored: Scores,
               lifecycle: Lifecycle, enrollments: pd.DataFrame, activities: pd.DataFrame, outcomes: pd.DataFrame,
               set_aside: pd.DataFrame, quarantined: pd.DataFrame, handoffs: pd.DataFrame,
               retired: Retirement) -> DayResult:
    """Every row the run date writes, by table (the date's retirements, and the enrollments they exit, too)."""
    day = run_date.isoformat()
    return DayResult(
        leads=leads,
        lead_identities=assigned.identities,
        # In key order: each key's place in the table's index follows the last one (a third quicker).
        lead_match_keys=assigned.match_keys.sort_values(["key_hash", "lead_id"], ignore_index=True),
        lead_merges=assigned.merges,
        lead_moves=assigned.moves,
        lead_scores=scored.scores.assign(run_date=day, model_version=model_version,
                                         contributions=ledgers(scored.contributions, scored.scores["lead_id"])),
        mql_events=lifecycle.events.assign(run_date=day),
        handoffs=handoffs,
        source_record_states=retired.source_record_states,
        lead_retirements=retired.lead_retirements,
        nurture_enrollments=pd.concat([part for part in (enrollments, retired.enrollments) if len(part)],
                                      ignore_index=True) if len(retired.enrollments) else enrollments,
        activities=activities[["source_system", "activity_id", "source_lead_id", "lead_id", "occurred_at",
                               "activity_type", "asset", "campaign", "value", "bot_reason"]].assign(run_date=day),
        sales_outcomes=sales_feedback(outcomes)[OUTCOME_ROW].assign(run_date=day),
        source_lifecycle=outcomes[~is_sales(outcomes)][OUTCOME_ROW].assign(run_date=day),
        rejected_leads=set_aside,
        quarantined_rows=quarantined,
    )
