"""The scoring model: a versioned YAML file owned by marketing ops, validated on load."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tasks.intake.contract import ACTIVITY_TYPES
from tasks.errors import ConfigError

CAP_RULES = ("fit_cap", "engagement_cap", "total_cap")
BASE_RULE = "base"  # the contribution row of the fit section's base score
DERIVED = ("seniority", "department")
ConfigModel = TypeVar("ConfigModel", bound=BaseModel)
STAGES = ("lead", "mql", "sales_accepted", "sql", "customer", "recycled", "disqualified")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bin(Strict):
    """One bin of a numeric attribute: `min` <= value < `max` (an open end when not given)."""

    min: float | None = None
    max: float | None = None
    points: float


def _check_test(test: Condition | FitRule) -> None:
    """The operands a single-field test needs (a condition, or a fit rule over one field)."""
    if test.field is None or test.op is None:
        raise ValueError("needs 'field' and 'op', or one of 'all', 'any', 'not'")
    needed = {"equals": "value", "in": "values", "not_in": "values", "pattern": "pattern", "bins": "bins",
              "scaled": "points_per"}.get(test.op)
    if needed and getattr(test, needed) is None:
        raise ValueError(f"op {test.op!r} needs {needed!r}")
    if test.op == "range" and test.min is None and test.max is None:
        raise ValueError("op 'range' needs 'min' or 'max'")
    if test.pattern is not None:
        try:
            re.compile(test.pattern)
        except re.error as exc:
            raise ValueError(f"pattern {test.pattern!r} is not a regular expression: {exc}") from exc


class Combined(Strict):
    """`all` / `any` of a list of conditions, or `not` one; exclusive of a single-field test."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all_: list[Condition] | None = Field(None, alias="all")
    any_: list[Condition] | None = Field(None, alias="any")
    not_: Condition | None = Field(None, alias="not")

    @property
    def combination(self) -> str | None:
        """`all`, `any` or `not`: how the conditions combine (None: a single-field test)."""
        given = [name for name in ("all", "any", "not") if getattr(self, f"{name}_") is not None]
        return given[0] if given else None

    @property
    def conditions(self) -> list[Condition]:
        return [self.not_] if self.not_ is not None else list(self.all_ or self.any_ or ())

    def check_combination(self, where: str) -> None:
        """One of all / any / not, or a single-field test, never both; every nested condition
        checked; errors say where (`all[1].any[0]: op 'equals' needs 'value'`)."""
        given = [name for name in ("all", "any", "not") if getattr(self, f"{name}_") is not None]
        single = [name for name in ("field", "op", "value", "values", "min", "max", "bins", "pattern",
                                    "points_per", "per", "cap")
                  if getattr(self, name, None) is not None]
        if len(given) > 1:
            raise ValueError(f"{where}give one of 'all', 'any', 'not', not {' and '.join(repr(g) for g in given)}")
        if given and single:
            raise ValueError(f"{where}'{given[0]}' combines conditions: leave out {', '.join(repr(s) for s in single)}")
        if not given:
            try:
                _check_test(self)  # type: ignore[arg-type]
            except ValueError as exc:
                raise ValueError(f"{where}{exc}") from None
            return
        if given[0] != "not" and not self.conditions:
            raise ValueError(f"{where}'{given[0]}' needs at least one condition")
        for position, condition in enumerate(self.conditions):
            condition.check_combination(f"{where}{given[0]}" + ("" if given[0] == "not" else f"[{position}]") + ": ")


class Condition(Combined):
    """A condition of a fit rule: one field tested (equals / in / not_in / range / pattern /
    missing, as in a fit rule), or `all` / `any` / `not` of conditions."""

    field: str | None = None
    op: Literal["equals", "in", "not_in", "range", "pattern", "missing"] | None = None
    value: str | float | None = None
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None


class Scaled(Strict):
    """Points in proportion to a number: `points_per` points for every `per` of it, at most `cap`
    (in absolute value, keeping the sign) when given."""

    points_per: float | None = None
    per: float | None = Field(None, gt=0, description="The amount that earns `points_per` points.")
    cap: float | None = Field(None, gt=0, description="Most points (in absolute value) the rule can give.")

    def check_scaled(self, where: str, scaled: bool, others: str) -> None:
        """`points_per` and `per` together, only where the rule scales (`others`: what it gives instead)."""
        given = [name for name in ("points_per", "per") if getattr(self, name) is not None]
        if scaled and len(given) < 2:
            raise ValueError(f"{where}give 'points_per' and 'per' (points_per points for every per of the value)")
        if not scaled and given:
            raise ValueError(f"{where}{' and '.join(repr(g) for g in given)} go with {others}")

    @property
    def unit_points(self) -> float:
        """Points for one unit of the number (`points_per / per`)."""
        return float(self.points_per) / float(self.per)


class FitRule(Scaled, Combined):
    """Points for a lead attribute: equals / in / not_in / range / bins / scaled / pattern /
    missing; or for a combination of such tests over several fields: `all` / `any` / `not`.

    `in` and `not_in` need a present value (one not missing and not a placeholder), so a
    `not_in` list of the known categories catches the unseen ones; `bins` gives the points of
    the bin a numeric value falls in (values in no bin, or missing, get none); `scaled` gives
    `points_per` points for every `per` of a numeric value, at most `cap` (a missing or
    non-numeric value gets none); `not` holds where its condition does not, a missing value
    included."""

    name: str
    field: str | None = None
    op: Literal["equals", "in", "not_in", "range", "bins", "scaled", "pattern", "missing"] | None = None
    value: str | float | None = None
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    bins: list[Bin] | None = None
    pattern: str | None = None
    points: float = 0

    @model_validator(mode="after")
    def _operands(self) -> FitRule:
        self.check_combination(f"rule {self.name!r}: ")
        where = f"rule {self.name!r}: "
        self.check_scaled(where, self.op == "scaled", "op 'scaled'")
        if self.cap is not None and self.op != "scaled":
            raise ValueError(f"{where}'cap' goes with op 'scaled' (the fit section's cap bounds the others)")
        if self.op == "scaled" and "points" in self.model_fields_set:
            raise ValueError(f"{where}op 'scaled' gives points_per points for every per: leave out 'points'")
        if self.op == "bins":
            edges = [(b.min if b.min is not None else -math.inf, b.max if b.max is not None else math.inf)
                     for b in self.bins or ()]
            if not edges:
                raise ValueError("op 'bins' needs at least one bin")
            for (low, high), (next_low, _) in zip(edges, edges[1:] + [(math.inf, math.inf)]):
                if not low < high:
                    raise ValueError(f"bin [{low:g}, {high:g}) is empty: min must be below max")
                if next_low < high:
                    raise ValueError(f"bins must be in increasing order without overlap (at {high:g})")
        return self


Condition.model_rebuild()
FitRule.model_rebuild()


class EngagementRule(Scaled):
    """Points for the activities of the given types; each activity counts for the first rule it
    matches. `measure: count` (the default): `points` per activity; `measure: value`: points in
    proportion to the activities' `value` (e.g. seconds on site), `points` per unit of it or
    `points_per` points for every `per` of it (an activity without a value gives none)."""

    name: str
    activity_types: list[str]
    asset_pattern: str | None = None
    campaign_pattern: str | None = None
    measure: Literal["count", "value"] = "count"
    points: float | None = None
    daily_cap: float | None = Field(None, gt=0, description="Most points (in absolute value) a day can add.")
    cap: float | None = Field(None, gt=0, description="Most points (in absolute value) the rule can hold.")

    @model_validator(mode="after")
    def _points(self) -> EngagementRule:
        where = f"rule {self.name!r}: "
        if (self.points is None) == (self.points_per is None and self.per is None):
            raise ValueError(f"{where}give one of 'points' and 'points_per' with 'per'")
        self.check_scaled(where, self.points is None, "each other, in place of 'points'")
        return self

    @property
    def unit_points(self) -> float:
        """Points for one activity (`measure: count`) or one unit of value (`measure: value`)."""
        return float(self.points) if self.points is not None else super().unit_points

    @field_validator("asset_pattern", "campaign_pattern")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from exc
        return pattern

    @field_validator("activity_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        unknown = sorted(set(types) - set(ACTIVITY_TYPES))
        if unknown:
            raise ValueError(f"unknown activity type(s): {', '.join(unknown)}")
        return types


class FitSection(Strict):
    base: float = Field(0, description="Points every lead's fit starts from (a fitted model's intercept).")
    cap: float = Field(gt=0)
    rules: list[FitRule]


class Decay(Strict):
    window_days: int = Field(gt=0, description="Only the activity of the last N run dates (today included) counts.")


class EngagementSection(Strict):
    """How engagement fades: `half_life_days`, or `decay: {window_days: N}` (one of the two)."""

    half_life_days: float | None = Field(None, gt=0, description="Days after which an activity's points count half.")
    decay: Decay | None = None
    cap: float = Field(gt=0)
    rules: list[EngagementRule]

    @model_validator(mode="after")
    def _one_decay(self) -> EngagementSection:
        if (self.half_life_days is None) == (self.decay is None):
            raise ValueError("give one of 'half_life_days' and 'decay: {window_days: N}'")
        return self

    @property
    def window_days(self) -> int | None:
        """The window of a window decay (None: half-life decay)."""
        return self.decay.window_days if self.decay is not None else None

    def weights(self, elapsed_days: np.ndarray | pd.Series) -> np.ndarray:
        """What an activity's points count for `elapsed_days` after the run date it was loaded on."""
        elapsed = np.asarray(elapsed_days, dtype=float)
        if self.decay is not None:
            return (elapsed < self.decay.window_days).astype(float)
        return np.power(0.5, elapsed / self.half_life_days)


class Grade(Strict):
    grade: str
    min_fit: float


LAST_GRADE = "D"   # the grade of a fit below every listed minimum
LAST_LEVEL = 4     # the engagement level of an engagement score below every listed minimum


class EngagementLevel(Strict):
    level: int = Field(ge=1, lt=LAST_LEVEL, description="1 (most engaged) to 3; below every listed minimum is 4.")
    min_engagement: float


class MqlRule(Strict):
    """Entry and exit thresholds: exit below entry so that status does not flap. A lead enters by
    the total rule (`entry_min_total`, with `entry_min_fit`), by the fit × engagement `matrix`
    (its cell, grade and engagement level, e.g. `A1`, is listed), or by either when both are given."""

    entry_min_total: float | None = None
    entry_min_fit: float = 0
    matrix: list[str] | None = Field(None, description="Cells (grade and engagement level: A1 ... D4) that enter MQL.")
    exit_below_total: float
    disqualify_reasons: list[str] = []

    @model_validator(mode="after")
    def _hysteresis(self) -> MqlRule:
        if self.entry_min_total is None and not self.matrix:
            raise ValueError("give an entry rule: 'entry_min_total', a 'matrix' of cells, or both")
        if self.entry_min_total is not None and self.exit_below_total > self.entry_min_total:
            raise ValueError("exit_below_total must not be above entry_min_total")
        return self


class SegmentCondition(Strict):
    """All given conditions must hold; `interests` needs any one of the listed topics."""

    grades: list[str] | None = None
    interests: list[str] | None = None
    stages: list[str] | None = None
    industries: list[str] | None = None
    min_engagement: float | None = None
    max_engagement: float | None = None

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, stages: list[str] | None) -> list[str] | None:
        unknown = sorted(set(stages or ()) - set(STAGES))
        if unknown:
            raise ValueError(f"unknown lifecycle stage(s): {', '.join(unknown)}")
        return stages


class Segment(Strict):
    """A nurture track; when several match, the first listed wins."""

    name: str
    when: SegmentCondition


class ScoringModel(Strict):
    version: str
    derive: dict[Literal["seniority", "department"], dict[str, str]] = Field(
        default_factory=dict, description="Attribute -> label -> pattern on the job title; any subset, or none.")
    missing_values: list[str] = Field(
        default_factory=list, description="Placeholders (e.g. Select, N/A, -, unknown) that fit rules read as missing; "
                                          "compared without case and surrounding spaces.")
    fit: FitSection
    engagement: EngagementSection
    total_cap: float = Field(gt=0)
    grades: list[Grade]
    engagement_levels: list[EngagementLevel] = Field(
        default_factory=list, description="Engagement levels 1-3 by the engagement score (the first whose minimum "
                                          "it reaches; otherwise 4), for the fit × engagement matrix.")
    mql: MqlRule
    interests: dict[str, str] = Field(
        default_factory=dict, description="Topic -> pattern on the asset of an activity that shows interest in it."
    )
    segments: list[Segment]

    @model_validator(mode="after")
    def _consistent(self) -> ScoringModel:
        names = [r.name for r in self.fit.rules] + [r.name for r in self.engagement.rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique, repeated: {', '.join(repeated)}")
        reserved = sorted(set(names) & {*CAP_RULES, BASE_RULE})
        if reserved:
            raise ValueError(f"rule names {', '.join(reserved)} are reserved for the base score and cap adjustments")
        for attribute, patterns in self.derive.items():
            if not patterns:
                raise ValueError(f"derive.{attribute}: no labels; leave the attribute out instead")
            for label, pattern in patterns.items():
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"derive.{attribute}.{label}: {pattern!r} is not a regular expression: {exc}"
                                     ) from exc
        for topic, pattern in self.interests.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"interests.{topic}: {pattern!r} is not a regular expression: {exc}") from exc
        unknown = sorted({t for s in self.segments for t in (s.when.interests or ())} - set(self.interests))
        if unknown:
            raise ValueError(f"segments use interests that are not defined: {', '.join(unknown)}")
        levels = [step.level for step in self.engagement_levels]
        minimums = [step.min_engagement for step in self.engagement_levels]
        if levels != sorted(set(levels)) or minimums != sorted(minimums, reverse=True) or len(set(minimums)) < len(
                minimums):
            raise ValueError("engagement_levels: list levels 1 to 3 in order, each with a lower min_engagement")
        if self.mql.matrix:
            if not self.engagement_levels:
                raise ValueError("mql.matrix: needs engagement_levels (levels 1-3 by the engagement score)")
            cells = {f"{g}{n}" for g in self.grade_names for n in self.level_names}
            unknown = [c for c in self.mql.matrix if c not in cells]
            if unknown:
                raise ValueError(f"mql.matrix: {', '.join(unknown)} not a cell: a grade "
                                 f"({', '.join(self.grade_names)}) and an engagement level "
                                 f"({', '.join(map(str, self.level_names))}), e.g. A1")
        return self

    @property
    def grade_names(self) -> list[str]:
        """The grades a fit score can get: those listed, then D."""
        return list(dict.fromkeys([g.grade for g in self.grades] + [LAST_GRADE]))

    @property
    def level_names(self) -> list[int]:
        """The engagement levels a lead can get: those listed, then 4."""
        return list(dict.fromkeys([step.level for step in self.engagement_levels] + [LAST_LEVEL]))


# PyYAML's safe loader on libyaml, in C where the wheel has it: the config files a night reads
# (model, linking, monitoring, fraud rules) load in a sixth of the time (docs/benchmarks.md).
SAFE_YAML_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_config(path: Path, schema: type[ConfigModel], what: str, empty_ok: bool = False) -> ConfigModel:
    """Read a YAML config file into `schema`; every error is one line naming the file and the field."""
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_YAML_LOADER)  # noqa: S506 - safe
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: {what} file not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable YAML file: {str(exc).splitlines()[0]}") from exc
    try:
        return schema.model_validate(data if data is not None or not empty_ok else {})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {where}: {error['msg']}") from exc


def load_model(path: Path) -> ScoringModel:
    """Read and validate a scoring model file; errors name the file and the field."""
    return load_yaml_config(path, ScoringModel, "scoring model")
