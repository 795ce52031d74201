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
    needed = {"equals": "value", "in": "values", "not_in": "values", "pattern": "pattern", "bins": "bins"}.get(test.op)
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
        single = [name for name in ("field", "op", "value", "values", "min", "max", "bins", "pattern")
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


class FitRule(Combined):
    """Points for a lead attribute: equals / in / not_in / range / bins / pattern / missing; or
    for a combination of such tests over several fields: `all` / `any` / `not`.

    `in` and `not_in` need a present value (one not missing and not a placeholder), so a
    `not_in` list of the known categories catches the unseen ones; `bins` gives the points of
    the bin a numeric value falls in (values in no bin, or missing, get none); `not` holds
    where its condition does not, a missing value included."""

    name: str
    field: str | None = None
    op: Literal["equals", "in", "not_in", "range", "bins", "pattern", "missing"] | None = None
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


class EngagementRule(Strict):
    """Points per activity of the given types; each activity counts for the first rule it matches."""

    name: str
    activity_types: list[str]
    asset_pattern: str | None = None
    campaign_pattern: str | None = None
    points: float
    daily_cap: float | None = Field(None, gt=0, description="Most points (in absolute value) a day can add.")
    cap: float | None = Field(None, gt=0, description="Most points (in absolute value) the rule can hold.")

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


class MqlRule(Strict):
    """Entry and exit thresholds: exit below entry so that status does not flap."""

    entry_min_total: float
    entry_min_fit: float = 0
    exit_below_total: float
    disqualify_reasons: list[str] = []

    @model_validator(mode="after")
    def _hysteresis(self) -> MqlRule:
        if self.exit_below_total > self.entry_min_total:
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
        return self


def load_yaml_config(path: Path, schema: type[ConfigModel], what: str, empty_ok: bool = False) -> ConfigModel:
    """Read a YAML config file into `schema`; every error is one line naming the file and the field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
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
