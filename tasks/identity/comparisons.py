"""Comparisons: each compared field's evidence weight (Fellegi-Sunter style: log2 likelihood
ratios per level, set in a YAML file), summed into a pair score, with vetoes; the linkage
configuration they read."""

from __future__ import annotations

import functools

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from pydantic import Field, model_validator
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from tasks.scoring.model import Strict
from tasks.screening.normalize import name_key, same_first_name


SIMILARITY: dict[str, Callable[[str, str], float]] = {
    "jaro_winkler": JaroWinkler.normalized_similarity,
    "levenshtein": Levenshtein.normalized_similarity,
}
MAX_COMPARED = 254  # longest value compared (an email address's limit); callers drop longer ones
TF_LIMIT = 20.0    # a term-frequency adjustment is kept within +-TF_LIMIT bits


class Level(Strict):
    """Evidence when the similarity of two values is at least `min`."""

    min: float = Field(ge=0, le=1)
    weight: float


class DayLevel(Strict):
    """Evidence when two dates are at most `days` days apart (and not equal)."""

    days: int = Field(ge=1)
    weight: float


class TermFrequency(Strict):
    """Agreement on a common value ("smith", "london") says less than on a rare one: the weight of
    agreeing on value v is `agree` + log2(average / frequency(v)) (as Splink adjusts it), where
    frequency(v) is the share of records holding v and `average` the chance that two records drawn
    at random agree (the sum of squared frequencies). Learned by `mql identity train` and kept in
    the model file: the `top` commonest values held by at least `min_count` records each (so no
    value only a few people hold is written down); any other value counts as `other` (the mean
    frequency of those values, as agreeing pairs meet them). Untrained (no `average`): no adjustment."""

    top: int = Field(1000, ge=1, le=100_000)
    min_count: int = Field(5, ge=2)
    average: float | None = Field(None, gt=0, le=1)
    other: float | None = Field(None, gt=0, le=1)
    values: dict[str, float] = {}

    def adjustments(self, values: np.ndarray) -> np.ndarray:
        """log2(average / frequency) for each of `values` (0 when untrained), within +-TF_LIMIT."""
        if self.average is None:
            return np.zeros(len(values))
        other = self.other if self.other is not None else self.average
        frequency = np.array([self.values.get(value, other) for value in values], dtype=float)
        return np.clip(np.log2(self.average / frequency), -TF_LIMIT, TF_LIMIT)


class Part(Strict):
    """Evidence from one value: `agree` when equal, else the best level the string similarity
    reaches, else `typo` when one edit (a letter changed, added, dropped or two swapped) makes
    them equal (short names, where similarity says little: "Li" and "Le"), else `disagree`;
    `missing` when either side has no value. With `term_frequency`, agreement is weighed by how
    common the value is (see TermFrequency).

    Dates (method `date`, read with `date_format`; unreadable ones compare as text only): before
    the similarity levels, `transposed` (day and month swapped, same year), then the closest `days`
    level two different dates are within; after them (and `typo`), `same_year`."""

    scorer: Literal["jaro_winkler", "levenshtein"] = "jaro_winkler"
    agree: float
    levels: list[Level] = []
    typo: float | None = None
    disagree: float
    missing: float = 0.0
    term_frequency: TermFrequency | None = None
    days: list[DayLevel] = []
    transposed: float | None = None
    same_year: float | None = None
    date_format: str = "%Y-%m-%d"

    @model_validator(mode="after")
    def _best_first(self) -> Part:
        object.__setattr__(self, "levels", sorted(self.levels, key=lambda level: -level.min))
        object.__setattr__(self, "days", sorted(self.days, key=lambda level: level.days))
        return self

    @property
    def dated(self) -> bool:
        """Whether the part has date outcomes (method `date`)."""
        return bool(self.days) or self.transposed is not None or self.same_year is not None

    def agreement(self, values: np.ndarray) -> np.ndarray:
        """The weight of agreeing on each of `values`: `agree`, adjusted by term frequency."""
        if self.term_frequency is None:
            return np.full(len(values), self.agree)
        return self.agree + self.term_frequency.adjustments(values)


class Comparison(Part):
    """One piece of evidence about a pair: how alike the values of `columns` are.

    methods: `exact` (equal or not), `similarity` (levels of string similarity), `date` (a date:
    equal, day and month `transposed`, within `days`, similar as text, `same_year`), `person_name`
    (columns first and last: the first name as this part says, with nicknames and initials,
    the last name as `last` says; first and last swapped count with `swapped` added).
    """

    name: str
    method: Literal["exact", "similarity", "date", "person_name"]
    columns: list[str] = Field(min_length=1, max_length=2)
    nickname: float = 0.0
    initial: float = 0.0
    swapped: float = 0.0
    last: Part | None = None

    @model_validator(mode="after")
    def _shape(self) -> Comparison:
        if (self.method == "person_name") != (len(self.columns) == 2) or \
                (self.method == "person_name") != (self.last is not None):
            raise ValueError("person_name compares two columns (first, last) and needs `last`; "
                             "the other methods compare one column")
        if (self.method == "date") != self.dated or (self.last is not None and self.last.dated):
            raise ValueError("`days`, `transposed` and `same_year` belong to a `date` comparison, "
                             "which needs at least one of them")
        return self


class LinkageConfig(Strict):
    """How records are blocked, compared and linked."""

    threshold: float                       # a pair whose summed weight reaches this is a link
    # Two records never share a cluster when a named comparison (or "score", the sum) falls
    # below its floor here: "Jane Smith" and "John Smith" stay apart even if "J. Smith" links both.
    # A person_name comparison may instead veto `unrelated` names (see `names_clash`): only clear
    # evidence of two people, never a blank, an initial, a typo or swapped names.
    veto: dict[str, float | Literal["unrelated"]] = {}
    max_block: int = Field(200, ge=2)      # key values shared by more records are not used to block
    max_cluster: int = Field(25, ge=2)     # a cluster never grows beyond this many records
    blocking: dict[str, list[list[str]]]   # key type -> column combinations giving its values
    comparisons: list[Comparison] = Field(min_length=1)
    # Diminutives the nickname list (package `nicknames`, English names) lacks: name -> nicknames.
    nicknames: dict[str, list[str]] = {}

    @property
    def nickname_pairs(self) -> frozenset[tuple[str, str]]:
        pairs = set()
        for name, nicknames in self.nicknames.items():
            forms = {name_key(form) or "" for form in (name, *nicknames)}
            pairs |= {(a, b) for a in forms for b in forms if a != b}  # "kathi" ~ "kati" too
        return frozenset(pairs)

    @model_validator(mode="after")
    def _veto_names(self) -> LinkageConfig:
        names = {c.name for c in self.comparisons} | {"score"}
        unknown = [name for name in self.veto if name not in names]
        if unknown:
            raise ValueError(f"veto names {unknown[0]!r}, which is not a comparison (nor 'score')")
        methods = {c.name: c.method for c in self.comparisons}
        wrong = [name for name, floor in self.veto.items() if floor == "unrelated" and methods.get(name) != "person_name"]
        if wrong:
            raise ValueError(f"veto: {wrong[0]!r} is not a person_name comparison, so it cannot veto 'unrelated'")
        return self

    def columns(self) -> list[str]:
        wanted = [c for combos in self.blocking.values() for combo in combos for c in combo]
        wanted += [c for comparison in self.comparisons for c in comparison.columns]
        return list(dict.fromkeys(wanted))


# --- comparison ----------------------------------------------------------------------------------
def _level(similarity: float, comparison: Part, a: str, b: str) -> float:
    for level in comparison.levels:  # best first (sorted on load)
        if similarity >= level.min:
            return level.weight
    if comparison.typo is not None and OSA.distance(a, b, score_cutoff=1) <= 1:
        return comparison.typo
    return comparison.disagree


def _compare_values(a: str, b: str, comparison: Part) -> float:
    if a == b:
        return float(comparison.agreement(np.array([a], dtype=object))[0])
    if comparison.dated:
        days = (np.array([_date(a, comparison.date_format)]), np.array([_date(b, comparison.date_format)]))
        return float(_levels(np.array([a], dtype=object), np.array([b], dtype=object), comparison,
                             np.full(1, comparison.disagree), days)[0])
    if not comparison.levels and comparison.typo is None:
        return comparison.disagree
    return _level(SIMILARITY[comparison.scorer](a, b), comparison, a, b)


def _compare_first(a: str, b: str, comparison: Comparison, nicknames: frozenset[tuple[str, str]]) -> float:
    if a == b:
        return float(comparison.agreement(np.array([a], dtype=object))[0])
    if same_first_name(a, b) or (a, b) in nicknames:
        return comparison.nickname
    if len(a) == 1 or len(b) == 1:
        return comparison.initial if a[0] == b[0] else comparison.disagree
    return _level(SIMILARITY[comparison.scorer](a, b), comparison, a, b)


def _compare_names(first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None,
                   first: Comparison, last: Part, nicknames: frozenset[tuple[str, str]]) -> tuple[float, float]:
    """(first-name evidence, last-name evidence); swapped names count as the swap weight."""
    def straight(fa, la, fb, lb) -> tuple[float, float]:
        f = first.missing if fa is None or fb is None else _compare_first(fa, fb, first, nicknames)
        l_ = last.missing if la is None or lb is None else _compare_values(la, lb, last)
        return f, l_

    direct = straight(first_a, last_a, first_b, last_b)
    if (first_a == first_b and last_a == last_b) or not _cross(first_a, last_a, first_b, last_b):
        return direct
    swapped = straight(first_a, last_a, last_b, first_b)
    if sum(swapped) + first.swapped > sum(direct):
        return swapped[0] + first.swapped, swapped[1]
    return direct


def _cross(first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None) -> bool:
    """Whether first and last names swapped would compare anything: a name of each record in the
    other's other place ("Smith" with no last name against "John Smith")."""
    return (first_a is not None and last_b is not None) or (last_a is not None and first_b is not None)


def names_clash(first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None,
                first: Comparison, nicknames: frozenset[tuple[str, str]]) -> bool:
    """Clear evidence of two people: a name present on both sides disagrees outright (no better
    than `disagree`: not equal, a nickname, an initial, similar or one typo away), and so it does
    with first and last names swapped, where the swap compares anything. A blank, an initial, a
    typo or swapped names are no such evidence."""
    last = first.last

    def clash(fa, la, fb, lb) -> bool:
        return ((fa is not None and fb is not None and _compare_first(fa, fb, first, nicknames) <= first.disagree)
                or (la is not None and lb is not None and _compare_values(la, lb, last) <= last.disagree))

    if not clash(first_a, last_a, first_b, last_b):
        return False
    return not _cross(first_a, last_a, first_b, last_b) or clash(first_a, last_a, last_b, first_b)


def names_related(first_a: str | None, last_a: str | None, first_b: str | None, last_b: str | None,
                  first: Comparison, nicknames: frozenset[tuple[str, str]]) -> bool:
    """Names of one person: first names written out (not initials) that are equal, nicknames of
    one name, similar or one typo apart, directly or with first and last names swapped, and
    surnames (where both are there) that do not disagree outright."""
    last = first.last

    def one(fa: str | None, la: str | None, fb: str | None, lb: str | None) -> bool:
        if fa is None or fb is None or len(fa) < 2 or len(fb) < 2:
            return False
        if la is not None and lb is not None and _compare_values(la, lb, last) <= last.disagree:
            return False
        return (fa == fb or same_first_name(fa, fb) or (fa, fb) in nicknames
                or any(SIMILARITY[first.scorer](fa, fb) >= level.min for level in first.levels)
                or (first.typo is not None and OSA.distance(fa, fb, score_cutoff=1) <= 1))

    return one(first_a, last_a, first_b, last_b) or one(first_a, last_a, last_b, first_b)


def _levels(x: np.ndarray, y: np.ndarray, part: Part, weights: np.ndarray,
            days: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Weights of unequal values: for dates, `transposed`, else the closest `days` level; then the
    best similarity level reached, else `typo` for one edit, else (dates) `same_year`, else what
    `weights` holds (equal values keep `agree`). `days`: the dates already read, aligned with x and y."""
    weights = weights.copy()
    equal = x == y
    weights[equal] = part.agreement(x[equal]) if part.term_frequency is not None and equal.any() else part.agree
    rows = np.flatnonzero(~equal)
    if not len(rows) or (not part.levels and part.typo is None and not part.dated):
        return weights
    settled = np.zeros(len(rows), dtype=bool)
    if part.dated:
        dx, dy = (days[0][rows], days[1][rows]) if days is not None else \
            (_dates(x[rows], part.date_format), _dates(y[rows], part.date_format))
        both = ~np.isnat(dx) & ~np.isnat(dy)
        apart = np.abs((dx - dy).astype("timedelta64[D]").astype(np.int64))
        if part.transposed is not None:
            day_x, day_y = _parts_of(dx), _parts_of(dy)
            swapped = (both & (day_x[0] == day_y[0]) & (day_x[1] == day_y[2]) & (day_x[2] == day_y[1]))
            weights[rows[swapped]] = part.transposed
            settled |= swapped
        for level in part.days:  # closest first (sorted on load)
            reached = both & ~settled & (apart <= level.days)
            weights[rows[reached]] = level.weight
            settled |= reached
    todo = np.flatnonzero(~settled)
    if len(todo) and part.levels:
        similarity = cpdist(x[rows[todo]], y[rows[todo]], scorer=SIMILARITY[part.scorer], dtype=np.float64,
                            workers=_workers(len(todo)))
        for level in part.levels:  # best first
            reached = ~settled[todo] & (similarity >= level.min)
            weights[rows[todo[reached]]] = level.weight
            settled[todo[reached]] = True
    if part.typo is not None and (~settled).any():
        rest = np.flatnonzero(~settled)
        one_edit = cpdist(x[rows[rest]], y[rows[rest]], scorer=OSA.distance, dtype=np.int64,
                          workers=_workers(len(rest))) <= 1
        weights[rows[rest[one_edit]]] = part.typo
        settled[rest[one_edit]] = True
    if part.same_year is not None:
        year = both & ~settled & (_parts_of(dx)[0] == _parts_of(dy)[0])
        weights[rows[year]] = part.same_year
    return weights


def _workers(pairs: int) -> int:
    """rapidfuzz's threads for `pairs` comparisons: every core for many, one for a few (starting
    threads costs more than a handful of comparisons)."""
    return -1 if pairs >= 1024 else 1


def _dates(values: np.ndarray, date_format: str) -> np.ndarray:
    """Text dates as days (NaT where unreadable), each distinct value read once."""
    codes, distinct = pd.factorize(values)
    read = pd.to_datetime(pd.Series(distinct, dtype=object), format=date_format, errors="coerce")
    days = np.append(read.to_numpy(dtype="datetime64[D]"), np.datetime64("NaT", "D"))
    return days[codes]


@functools.lru_cache(maxsize=65536)
def _date(value: str, date_format: str) -> np.datetime64:
    """One text date as a day (NaT where unreadable), as `_dates` reads it, for the clustering
    guard, which compares records one pair at a time."""
    try:
        return np.datetime64(datetime.strptime(value, date_format).date(), "D")
    except ValueError:
        return np.datetime64("NaT", "D")


def _parts_of(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of each date (garbage where NaT: callers mask those)."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    return (years.astype(np.int64), (months - years).astype(np.int64) + 1, (days - months).astype(np.int64) + 1)


@dataclass(frozen=True)
class Coded:
    """Records' compared values as integer codes (`Scorer.code`): per comparison, one code array
    per compared column (-1 where missing) into that comparison's array of distinct values, so
    equal values have equal codes and each distinct pair of values is compared once. `days`: for a
    date comparison, its values read as dates once (NaT where unreadable); None for the others."""

    codes: list[list[np.ndarray]]
    values: list[np.ndarray]
    days: list[np.ndarray | None]

    def take(self, rows: np.ndarray) -> Coded:
        return Coded([[c[rows] for c in columns] for columns in self.codes], self.values, self.days)


class Scorer:
    """Scores pairs of records under one configuration, each distinct pair of values once.
    Values are compared as they are: callers keep them short (see MAX_COMPARED)."""

    def __init__(self, config: LinkageConfig) -> None:
        self.config = config
        self.columns = config.columns()
        where = {c: i for i, c in enumerate(self.columns)}
        self.plan = [(c, [where[col] for col in c.columns]) for c in config.comparisons]
        self.caches: list[dict[tuple, float]] = [{} for _ in config.comparisons]
        self._nicknames_seen: dict[tuple[str, str], bool] = {}
        self.nicknames = config.nickname_pairs
        names = [c.name for c in config.comparisons]
        self.vetoes = [(None, floor, []) if name == "score" else (names.index(name), floor, self.plan[names.index(name)][1])
                       for name, floor in config.veto.items()]
        # Where `code` keeps each of `columns`: (comparison, position among its columns); None: not compared.
        self._column_at = [next(((c, comparison.columns.index(column)) for c, comparison in
                                 enumerate(config.comparisons) if column in comparison.columns), None)
                           for column in self.columns]
        # What a veto reads: every comparison when the summed score has a floor, else the vetoing ones.
        self.veto_comparisons = None if any(position is None for position, _, _ in self.vetoes) else \
            frozenset(position for position, _, _ in self.vetoes)

    def code(self, frame: pd.DataFrame, rows: np.ndarray | None = None) -> Coded:
        """The compared columns of a frame as codes (empty text counts as missing); with `rows`,
        only those records are coded (the others read as missing: for records never compared)."""
        rows = np.arange(len(frame)) if rows is None else rows
        codes, values = [], []
        for comparison in self.config.comparisons:
            stacked = np.concatenate([frame[column].to_numpy(dtype=object)[rows] for column in comparison.columns])
            found, distinct = pd.factorize(stacked)  # missing values: -1
            distinct = np.asarray(distinct, dtype=object)
            empty = np.flatnonzero(distinct == "")
            if len(empty):
                found[found == empty[0]] = -1
            per_column = []
            for part in np.split(found.astype(np.int32), len(comparison.columns)):
                full = np.full(len(frame), -1, dtype=np.int32)
                full[rows] = part
                per_column.append(full)
            codes.append(per_column)
            values.append(distinct)
        days = [_dates(distinct, comparison.date_format) if comparison.dated else None
                for comparison, distinct in zip(self.config.comparisons, values)]
        return Coded(codes, values, days)

    def score_columns(self, a: Coded, b: Coded, index: pd.Index | None = None) -> pd.DataFrame:
        """Evidence of aligned pairs of coded records (`a`, `b`: takes of one `code`), comparison
        by comparison; with `score` and `vetoed`."""
        out, clashes = {}, {}
        for number, (comparison, _) in enumerate(self.plan):
            ca, cb, values, days = a.codes[number], b.codes[number], a.values[number], a.days[number]
            if comparison.method == "person_name":
                (fa, la), (fb, lb) = ca, cb
                first, last = (self._values(fa, fb, values, comparison, first=True),
                               self._values(la, lb, values, comparison.last))
                weights = first + last
                clash = (((fa >= 0) & (fb >= 0) & (first <= comparison.disagree))
                         | ((la >= 0) & (lb >= 0) & (last <= comparison.last.disagree)))
                # Swapped names: where the swap compares anything and the names are not simply equal.
                cross = ((fa >= 0) & (lb >= 0)) | ((la >= 0) & (fb >= 0))
                rows = np.flatnonzero(cross & ((fa != fb) | (la != lb)))
                if len(rows):
                    first, last = (self._values(fa[rows], lb[rows], values, comparison, first=True),
                                   self._values(la[rows], fb[rows], values, comparison.last))
                    swapped = first + last + comparison.swapped
                    better = swapped > weights[rows]
                    weights[rows[better]] = swapped[better]
                    clash[rows] &= (((fa[rows] >= 0) & (lb[rows] >= 0) & (first <= comparison.disagree))
                                    | ((la[rows] >= 0) & (fb[rows] >= 0) & (last <= comparison.last.disagree)))
                clashes[number] = clash
            else:
                weights = self._values(ca[0], cb[0], values, comparison, days=days)
            out[comparison.name] = weights
        evidence = pd.DataFrame(out, index=index)
        evidence["score"] = evidence.sum(axis=1)
        vetoed = np.zeros(len(evidence), dtype=bool)
        for position, floor, _ in self.vetoes:
            if position is None:
                vetoed |= evidence["score"].to_numpy() < floor
                continue
            if floor == "unrelated":
                vetoed |= clashes[position]
                continue
            present_a = np.logical_or.reduce([c >= 0 for c in a.codes[position]])
            present_b = np.logical_or.reduce([c >= 0 for c in b.codes[position]])
            vetoed |= (evidence.iloc[:, position].to_numpy() < floor) & present_a & present_b
        evidence["vetoed"] = vetoed
        return evidence

    def _values(self, x: np.ndarray, y: np.ndarray, values: np.ndarray, part: Part, first: bool = False,
                days: np.ndarray | None = None) -> np.ndarray:
        """`_compare_values` (or `_compare_first`, for `first` names) over aligned codes into
        `values` (`days`: a date comparison's values read as dates): equal codes agree; each distinct
        pair of unequal values is compared once."""
        out = np.full(len(x), part.missing, dtype=float)
        rows = np.flatnonzero((x >= 0) & (y >= 0))
        xs, ys = x[rows], y[rows]
        weights = np.full(len(rows), part.agree, dtype=float)
        if part.term_frequency is not None:
            equal = np.flatnonzero(xs == ys)
            distinct, inverse = np.unique(xs[equal], return_inverse=True)
            weights[equal] = part.agreement(values[distinct])[inverse.ravel()]
        unequal = np.flatnonzero(xs != ys)
        if len(unequal):
            inverse, pair = pd.factorize(xs[unequal].astype(np.int64) * len(values) + ys[unequal])
            at_left, at_right = pair // len(values), pair % len(values)
            left, right = values[at_left], values[at_right]
            if first:
                distinct = self._first(left, right, part)
            else:
                distinct = _levels(left, right, part, np.full(len(pair), part.disagree),
                                   None if days is None else (days[at_left], days[at_right]))
            weights[unequal] = distinct[inverse.ravel()]
        out[rows] = weights
        return out

    def _first(self, xs: np.ndarray, ys: np.ndarray, first: Comparison) -> np.ndarray:
        """`_compare_first` over aligned arrays of unequal first names: nickname, initial, then similarity."""
        weights = np.full(len(xs), first.disagree)
        nickname = np.array([self._nickname(p, q) for p, q in zip(xs, ys)], dtype=bool)
        weights[nickname] = first.nickname
        short = np.array([len(p) == 1 or len(q) == 1 for p, q in zip(xs, ys)], dtype=bool) & ~nickname
        initial = np.array([p[0] == q[0] for p, q in zip(xs[short], ys[short])], dtype=bool)
        weights[short] = np.where(initial, first.initial, first.disagree)
        todo = ~nickname & ~short
        weights[todo] = _levels(xs[todo], ys[todo], first, weights[todo])
        return weights

    def _nickname(self, a: str, b: str) -> bool:
        key = (a, b)
        found = self._nicknames_seen.get(key)
        if found is None:
            found = self._nicknames_seen[key] = same_first_name(a, b) or key in self.nicknames
        return found

    def record(self, coded: Coded, node: int, only: frozenset[int] | None = None) -> tuple:
        """One coded record's values in `columns` order (None where missing), for `weights`;
        with `only`, the values of those comparisons alone (None elsewhere)."""
        return tuple(None if at is None or (only is not None and at[0] not in only)
                     or (code := coded.codes[at[0]][at[1]][node]) < 0 else coded.values[at[0]][code]
                     for at in self._column_at)

    def weights(self, a: tuple, b: tuple, only: frozenset[int] | None = None) -> list[float]:
        """Evidence per comparison of two `record`s; with `only`, of those comparisons alone (0 elsewhere)."""
        out = []
        for number, ((comparison, where), cache) in enumerate(zip(self.plan, self.caches)):
            if only is not None and number not in only:
                out.append(0.0)
                continue
            if comparison.method == "person_name":
                key = (a[where[0]], a[where[1]], b[where[0]], b[where[1]])
                if key not in cache:
                    cache[key] = sum(_compare_names(*key, comparison, comparison.last, self.nicknames))
                out.append(cache[key])
                continue
            x, y = a[where[0]], b[where[0]]
            if x is None or y is None:
                out.append(comparison.missing)
                continue
            key = (x, y) if x <= y else (y, x)
            if key not in cache:
                cache[key] = _compare_values(x, y, comparison)
            out.append(cache[key])
        return out

    def vetoed(self, a: tuple, b: tuple, weights: list[float]) -> bool:
        """A vetoing comparison below its floor where both sides have a value ("score": the sum)."""
        for index, floor, where in self.vetoes:
            if index is None:
                if sum(weights) < floor:
                    return True
            elif floor == "unrelated":
                if names_clash(a[where[0]], a[where[1]], b[where[0]], b[where[1]], self.plan[index][0], self.nicknames):
                    return True
            elif weights[index] < floor and any(a[i] is not None for i in where) \
                    and any(b[i] is not None for i in where):
                return True
        return False


def score_nodes(coded: Coded, pairs: pd.DataFrame, scorer: Scorer) -> pd.DataFrame:
    """Evidence per pair (left, right) of node positions in `coded` (`Scorer.code` of the
    nodes), with `score` and `vetoed`."""
    left, right = pairs["left"].to_numpy(dtype=np.int64), pairs["right"].to_numpy(dtype=np.int64)
    return scorer.score_columns(coded.take(left), coded.take(right), pairs.index)


def chunk_links(part: pd.DataFrame, coded: Coded, scorer: Scorer) -> pd.DataFrame:
    """The pairs of `part` whose score reaches the threshold and that no veto stops, with their evidence."""
    scored = pd.concat([part, score_nodes(coded, part, scorer)], axis=1)
    return scored[(scored["score"] >= scorer.config.threshold) & ~scored.pop("vetoed").to_numpy(dtype=bool)]


class ChunkPool(Protocol):
    """Somewhere else to score chunks of pairs (a Dask cluster): `function(part, *shared)` for each
    part, results in the order of the parts; it takes at least `partitions` parts."""

    partitions: int

    def __call__(self, function: Callable[..., pd.DataFrame], parts: list[pd.DataFrame], *shared: Any
                 ) -> list[pd.DataFrame]: ...


def find_links(coded: Coded, pairs: pd.DataFrame, scorer: Scorer, chunk: int = 500_000, threads: int = 2,
               pool: ChunkPool | None = None) -> pd.DataFrame:
    """The candidate pairs whose score reaches the threshold and that no veto stops, with their
    evidence; scored `chunk` pairs at a time, so memory holds the links, not every pair's
    evidence. Chunks are scored on `threads` threads: integer work (numpy, pandas' integer
    hash tables) and string similarity (rapidfuzz) run with Python's lock released; or, given a
    `pool`, in at least its `partitions` parts there. Each pair is scored alone, so the links are
    the same either way."""
    if pool is not None:
        chunk = max(1, min(chunk, -(-len(pairs) // pool.partitions)))
    parts = [pairs.iloc[start:start + chunk] for start in range(0, max(len(pairs), 1), chunk)]
    if pool is not None:
        return pd.concat(pool(chunk_links, parts, coded, scorer))
    with ThreadPoolExecutor(max(1, threads)) as threaded:
        return pd.concat(list(threaded.map(lambda part: chunk_links(part, coded, scorer), parts)))


def conflict_check(coded: Coded, scorer: Scorer, apart: set[tuple[int, int]] = frozenset(),
                   passed: pd.DataFrame | None = None) -> Callable[[list[int], list[int]], bool]:
    """`cluster`'s guard: two clusters conflict when any record of one vetoes any record of the
    other (see `Scorer.vetoed`) or a pair of them is kept `apart`; each pair is judged once.

    Where the only vetoes are `unrelated` names, a clash is excused by a third record of the two
    clusters whose names are related to both (`names_related`: written out, not an initial): a
    typo'd "Joés" and a nickname "Pepe" are both José's. An initial bridges nothing, so one
    "J. Smith" still cannot chain John and Jane Smith together.

    `passed`: pairs (left, right, left < right) already scored and found free of vetoes, such as
    `find_links`' links: not judged again."""
    judged: dict[tuple[int, int], bool] = {} if passed is None else dict.fromkeys(
        zip(passed["left"].to_numpy().tolist(), passed["right"].to_numpy().tolist()), False)
    related: dict[tuple[int, int], bool] = {}
    records: dict[int, tuple] = {}
    only = scorer.veto_comparisons  # what the vetoes read; the rest need not be compared
    names = [(index, where) for index, floor, where in scorer.vetoes if floor == "unrelated"]
    bridging = len(names) == len(scorer.vetoes) == 1

    def record(node: int) -> tuple:
        if node not in records:
            records[node] = scorer.record(coded, node, only)
        return records[node]

    def relates(x: int, y: int) -> bool:
        pair = (x, y) if x < y else (y, x)
        if pair not in related:
            (index, where), a, b = names[0], record(pair[0]), record(pair[1])
            related[pair] = names_related(a[where[0]], a[where[1]], b[where[0]], b[where[1]],
                                          scorer.plan[index][0], scorer.nicknames)
        return related[pair]

    def bridged(a: int, b: int, members: list[int]) -> bool:
        return any(c != a and c != b and relates(c, a) and relates(c, b) for c in members)

    def conflicts(group_a: list[int], group_b: list[int]) -> bool:
        for a in group_a:
            for b in group_b:
                pair = (a, b) if a < b else (b, a)
                if pair in apart:
                    return True
                if pair not in judged:
                    x, y = record(pair[0]), record(pair[1])
                    judged[pair] = scorer.vetoed(x, y, scorer.weights(x, y, only))
                if judged[pair] and not (bridging and bridged(a, b, group_a + group_b)):
                    return True
        return False

    return conflicts
