"""Linkage weights learned from the records themselves, without labels (Fellegi-Sunter): for each
outcome of each comparison (agree, a similarity level, a typo, disagree...), u (how often two
different people show it) from random pairs, m (how often one person's two records show it) by
expectation maximisation over the candidate pairs blocking finds. The weight of an outcome is
log2(m / u); the link threshold is the score at which a pair's match probability reaches
`probability`, given how rare matches are among all pairs. The comparisons themselves (columns,
levels) are the configuration's; its weights serve only as the starting point."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import Field

from tasks.identity.blocking import block_keys, pairs_within
from tasks.identity.comparisons import Comparison, DayLevel, Level, LinkageConfig, Part, Scorer, TermFrequency
from tasks.scoring.model import Strict, load_yaml_config

BASE = 16          # person_name outcomes: first + BASE * last, so each decodes from the sum
NEVER = -1.0e6     # the probe's swap weight: the direct reading of names is always the one observed
SMOOTH = 1.0       # pseudo-count per outcome, so no outcome has a probability of 0
LIMIT = 20.0       # learned weights are kept within +-LIMIT bits


@dataclass(frozen=True)
class Trained:
    """What training learned: the configuration with learned weights and threshold, and the
    probabilities behind them (per comparison part, per outcome name)."""

    config: LinkageConfig
    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    match_share: float     # of all pairs of records, the share that are one person (lambda)
    candidate_pairs: int
    random_pairs: int
    iterations: int


def _outcomes(part: Part, first: bool) -> list[str]:
    """The outcomes a part can show, in the order the probe numbers them."""
    names = ["agree"] + (["nickname", "initial"] if first else [])
    names += [f"days:{level.days}" for level in part.days]
    names += ["transposed"] if part.transposed is not None else []
    names += [f"level:{level.min:g}" for level in part.levels]
    names += ["typo"] if part.typo is not None else []
    names += ["same_year"] if part.same_year is not None else []
    return names + ["disagree"]


def _parts(config: LinkageConfig) -> list[tuple[str, Comparison, str | None]]:
    """The trained parts: (name, comparison, None | "first" | "last"), first and last names apart."""
    parts = []
    for comparison in config.comparisons:
        if comparison.method == "person_name":
            parts += [(f"{comparison.name}.first", comparison, "first"), (f"{comparison.name}.last", comparison, "last")]
        else:
            parts.append((comparison.name, comparison, None))
    return parts


def _numbered(part: Part, names: list[str], scale: float, first: bool) -> dict[str, object]:
    """A part's weights replaced by its outcomes' numbers times `scale` (missing: the last number)."""
    number = {name: float(i) * scale for i, name in enumerate(names)}
    update: dict[str, object] = {
        "agree": number["agree"], "disagree": number["disagree"], "missing": float(BASE - 1) * scale,
        "term_frequency": None}
    return update | _outcome_weights(part, number, first)


def _outcome_weights(part: Part, weight: dict[str, float], first: bool) -> dict[str, object]:
    """A part's weights other than agree and disagree, from a weight per outcome name."""
    update: dict[str, object] = {
        "levels": [Level(min=level.min, weight=weight[f"level:{level.min:g}"]) for level in part.levels],
        "days": [DayLevel(days=level.days, weight=weight[f"days:{level.days}"]) for level in part.days]}
    for outcome in ("typo", "transposed", "same_year"):
        if getattr(part, outcome) is not None:
            update[outcome] = weight[outcome]
    if first:
        update |= {"nickname": weight["nickname"], "initial": weight["initial"]}
    return update


def probe_config(config: LinkageConfig) -> LinkageConfig:
    """The configuration with each outcome's weight replaced by its number, so that the evidence of
    a pair names the outcome of every comparison (first and last names: first + BASE * last)."""
    comparisons = []
    for comparison in config.comparisons:
        if comparison.method == "person_name":
            last = comparison.last.model_copy(update=_numbered(comparison.last, _outcomes(comparison.last, False),
                                                               BASE, False))
            update = _numbered(comparison, _outcomes(comparison, True), 1.0, True) | {"last": last, "swapped": NEVER}
        else:
            update = _numbered(comparison, _outcomes(comparison, False), 1.0, False)
        comparisons.append(comparison.model_copy(update=update))
    return config.model_copy(update={"comparisons": comparisons, "veto": {}})


def observe(coded_scorer: tuple[Scorer, object], left: np.ndarray, right: np.ndarray, config: LinkageConfig
            ) -> dict[str, np.ndarray]:
    """Per trained part, the outcome number of each pair (left[i], right[i]); -1 where missing."""
    scorer, coded = coded_scorer
    evidence = scorer.score_columns(coded.take(left), coded.take(right))
    out = {}
    for name, comparison, side in _parts(config):
        values = evidence[comparison.name].to_numpy().round().astype(np.int64)
        if side == "first":
            values = values % BASE
        elif side == "last":
            values = values // BASE
        out[name] = np.where(values == BASE - 1, -1, values)
    return out


def _frequencies(slots: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Smoothed frequencies of `size` outcomes, given as slots: outcome + 1, a missing one (-1) in
    slot 0, which is left out (so the EM loop needs no mask)."""
    counts = np.bincount(slots, weights=weights, minlength=size + 1)[1:]
    return (counts + SMOOTH) / (counts.sum() + SMOOTH * size)


def train(frame: pd.DataFrame, config: LinkageConfig, probability: float = 0.95, random_pairs: int = 300_000,
          iterations: int = 30, seed: int = 1, keep: Callable[[pd.DataFrame], pd.Series] | None = None
          ) -> Trained:
    """Learn the weights of `config`'s comparisons from the records of `frame` (no labels).
    `keep`, as in `linkage.link_records`, may drop candidate pairs (pairs within one file);
    random pairs are then drawn the same way, and the share of matches is of the pairs it keeps.
    EM fits the non-matches among the candidates on their own (blocking makes them agree more
    often than random pairs do); the weights divide by u from random pairs, as any pair is."""
    nodes = frame[config.columns()].reset_index(drop=True)
    n = len(nodes)
    probe = probe_config(config)
    scorer = Scorer(probe)
    coded = (scorer, scorer.code(nodes))
    parts = _parts(config)
    sizes = {name: len(_outcomes(c.last if side == "last" else c, side == "first")) for name, c, side in parts}

    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, n, random_pairs), rng.integers(0, n, random_pairs)
    sample = pd.DataFrame({"left": np.minimum(left, right), "right": np.maximum(left, right)})
    sample = sample[sample["left"] != sample["right"]]
    share_kept = 1.0
    if keep is not None:
        kept = keep(sample).to_numpy()
        share_kept = kept.mean() if len(kept) else 1.0
        sample = sample[kept]
    at_random = observe(coded, sample["left"].to_numpy(), sample["right"].to_numpy(), config)
    u = {name: _frequencies(at_random[name] + 1, sizes[name]) for name, _, _ in parts}

    pairs = pairs_within(block_keys(nodes, config), config.max_block)
    if keep is not None:
        pairs = pairs[keep(pairs).to_numpy()].reset_index(drop=True)
    seen = observe(coded, pairs["left"].to_numpy(), pairs["right"].to_numpy(), config)
    # Start from the configuration's weights: m = u * 2**weight, normalised.
    m = {}
    for name, comparison, side in parts:
        part = comparison.last if side == "last" else comparison
        prior = np.array([_weight(part, outcome) for outcome in _outcomes(part, side == "first")])
        m[name] = u[name] * np.exp2(np.clip(prior, -LIMIT, LIMIT))
        m[name] /= m[name].sum()
    u_candidates = {name: u[name].copy() for name in u}  # the non-matches among candidates, refitted
    # Outcomes as slots (see _frequencies): slot 0, a missing value, weighs nothing in the odds.
    slots = {name: seen[name] + 1 for name, _, _ in parts}
    share = 0.1
    for step in range(iterations):
        odds = np.full(len(pairs), math.log(share / (1 - share)))
        for name, _, _ in parts:
            odds += np.concatenate(([0.0], np.log(m[name]) - np.log(u_candidates[name])))[slots[name]]
        posterior = 1 / (1 + np.exp(-np.clip(odds, -50, 50)))
        before = share
        share = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        for name, _, _ in parts:
            m[name] = _frequencies(slots[name], sizes[name], posterior)
            u_candidates[name] = _frequencies(slots[name], sizes[name], 1 - posterior)
        if abs(share - before) < 1e-6:
            break
    all_pairs = n * (n - 1) / 2 * share_kept
    match_share = float(np.clip(posterior.sum() / max(all_pairs, 1.0), 1e-12, 0.5))
    threshold = math.log2(probability / (1 - probability)) - math.log2(match_share / (1 - match_share))
    learned = _learned(config, parts, m, u, threshold, nodes)
    return Trained(config=learned, match_share=match_share, candidate_pairs=len(pairs), random_pairs=len(sample),
                   iterations=step + 1,
                   m={name: dict(zip(_names(config, name), np.round(m[name], 6).tolist())) for name, _, _ in parts},
                   u={name: dict(zip(_names(config, name), np.round(u[name], 6).tolist())) for name, _, _ in parts})


def _names(config: LinkageConfig, part_name: str) -> list[str]:
    name, comparison, side = next(p for p in _parts(config) if p[0] == part_name)
    return _outcomes(comparison.last if side == "last" else comparison, side == "first")


def _weight(part: Part, outcome: str) -> float:
    if outcome.startswith("level:"):
        return next(level.weight for level in part.levels if f"level:{level.min:g}" == outcome)
    if outcome.startswith("days:"):
        return next(level.weight for level in part.days if f"days:{level.days}" == outcome)
    return float(getattr(part, outcome))


def term_frequencies(values: pd.Series, declared: TermFrequency) -> TermFrequency:
    """The frequencies of a column's values (see TermFrequency): the share of records holding
    each value, for the `top` commonest held by at least `min_count` records; the chance that two
    random records agree; and, for every other value, its mean frequency as agreeing pairs meet
    it (the sum of their squared frequencies over the sum of their frequencies)."""
    present = values[values.notna() & (values.astype(object) != "")]
    counts = present.value_counts(sort=True)
    if counts.empty:
        return declared
    share = counts.to_numpy(dtype=float) / counts.sum()
    kept = min(declared.top, int((counts.to_numpy() >= declared.min_count).sum()))
    rest = share[kept:]
    other = float(np.sum(rest ** 2) / np.sum(rest)) if len(rest) else float(share[-1])
    return declared.model_copy(update={
        "average": float(f"{np.sum(share ** 2):.6g}"), "other": float(f"{other:.6g}"),
        "values": {str(value): float(f"{f:.6g}") for value, f in zip(counts.index[:kept], share[:kept])}})


def _learned(config: LinkageConfig, parts: list, m: dict, u: dict, threshold: float, frame: pd.DataFrame
             ) -> LinkageConfig:
    """`config` with each outcome's weight log2(m / u), term frequencies where declared (from the
    records of `frame`), and the learned threshold."""
    weights = {name: dict(zip(_names(config, name), np.clip(np.log2(m[name] / u[name]), -LIMIT, LIMIT).round(3)))
               for name, _, _ in parts}

    def part_update(part: Part, learned: dict[str, float], first: bool, column: str) -> dict[str, object]:
        learned = {name: float(weight) for name, weight in learned.items()}
        update = {"agree": learned["agree"], "disagree": learned["disagree"]} | _outcome_weights(part, learned, first)
        if part.term_frequency is not None:
            update["term_frequency"] = term_frequencies(frame[column], part.term_frequency)
        return update

    comparisons = []
    for comparison in config.comparisons:
        if comparison.method == "person_name":
            last = comparison.last.model_copy(update=part_update(comparison.last, weights[f"{comparison.name}.last"],
                                                                 False, comparison.columns[1]))
            comparisons.append(comparison.model_copy(update=part_update(
                comparison, weights[f"{comparison.name}.first"], True, comparison.columns[0]) | {"last": last}))
        else:
            comparisons.append(comparison.model_copy(update=part_update(comparison, weights[comparison.name], False,
                                                                        comparison.columns[0])))
    return config.model_copy(update={"comparisons": comparisons, "threshold": round(threshold, 3)})


class LinkageModel(Strict):
    """A trained linkage model file (`mql identity train`): the linkage configuration with learned
    weights, and what they were learned from. Nightly runs use it unchanged (`linkage_model` in
    config/dedupe.yaml); a new model is a new file, reviewed like any configuration."""

    version: str = Field(min_length=1)
    trained_on: dict[str, str | int | float]
    probabilities: dict[str, dict[str, dict[str, float]]]  # m and u, per comparison part and outcome
    linkage: LinkageConfig


def model_of(trained: Trained, source: str) -> LinkageModel:
    """The model file's content; its version names its weights (a hash of the linkage)."""
    linkage = trained.config.model_dump(mode="json", exclude_defaults=True)
    digest = hashlib.sha256(json.dumps(linkage, sort_keys=True).encode()).hexdigest()[:12]
    return LinkageModel(version=f"linkage-{digest}", linkage=trained.config,
                        probabilities={"m": trained.m, "u": trained.u},
                        trained_on={"source": source, "candidate_pairs": trained.candidate_pairs,
                                    "random_pairs": trained.random_pairs, "match_share": trained.match_share,
                                    "iterations": trained.iterations})


def write_model(path: Path, model: LinkageModel) -> None:
    """Write a model file (YAML), with a header saying what it is."""
    document = model.model_dump(mode="json", exclude_defaults=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Linkage weights learned by `mql identity train` (log2(m / u) per outcome; threshold:\n"
                    "# match probability 0.95). Point `linkage_model` in config/dedupe.yaml at this file.\n"
                    + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def load_linkage_model(path: Path) -> LinkageModel:
    return load_yaml_config(path, LinkageModel, "linkage model")
