"""Comparison methods beyond string similarity: dates with tolerance levels, and agreement weighed
by how common the agreed value is (term frequencies learned in training, kept in the model file)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from tasks.identity.comparisons import Comparison, LinkageConfig, Scorer, TermFrequency, _compare_values
from tasks.identity.training import load_linkage_model, model_of, observe, probe_config, term_frequencies, train, \
    write_model

DOB = {"name": "dob", "method": "date", "columns": ["dob"], "scorer": "levenshtein", "agree": 7.0,
       "days": [{"days": 31, "weight": 3.0}, {"days": 3, "weight": 4.0}], "transposed": 2.5,
       "levels": [{"min": 0.85, "weight": 1.5}], "same_year": 0.5, "disagree": -3.0}


def linkage(*comparisons: dict, blocking: dict | None = None) -> LinkageConfig:
    return LinkageConfig.model_validate({"threshold": 10.0, "blocking": blocking or {"dob": [["dob"]]},
                                         "comparisons": list(comparisons)})


@pytest.mark.parametrize(("other", "weight"), [
    ("1980-03-04", 7.0),    # equal
    ("1980-03-06", 4.0),    # within 3 days
    ("1980-03-30", 3.0),    # within 31 days
    ("1980-04-03", 2.5),    # day and month swapped (before the days levels: 30 days apart too)
    ("1989-03-04", 1.5),    # one digit off as text: similarity 0.9
    ("1980-11-25", 0.5),    # the same year only
    ("1981-12-25", -3.0),   # nothing in common
    ("04/03/1980", -3.0),   # unreadable: compared as text only
])
def test_date_levels(other, weight):
    comparison = Comparison.model_validate(DOB)
    assert _compare_values("1980-03-04", other, comparison) == weight
    assert _compare_values(other, "1980-03-04", comparison) == weight
    # The vectorised scorer gives the same weight, missing values their own.
    scorer = Scorer(linkage(DOB))
    frame = pd.DataFrame({"dob": ["1980-03-04", other, None]}, dtype=object)
    coded = scorer.code(frame)
    evidence = scorer.score_columns(coded.take(np.array([0, 0])), coded.take(np.array([1, 2])))
    assert evidence["dob"].tolist() == [weight, 0.0]


def test_date_options_belong_to_a_date_comparison():
    with pytest.raises(ValidationError, match="date"):
        Comparison.model_validate({**DOB, "method": "similarity"})
    with pytest.raises(ValidationError, match="date"):
        Comparison.model_validate({**DOB, "days": [], "transposed": None, "same_year": None})


def test_the_probe_reads_date_outcomes():
    config = linkage(DOB)
    records = pd.DataFrame({"dob": ["1980-03-04", "1980-03-05", "1980-04-03", "1980-11-25", "1971-01-01", None]},
                           dtype=object)
    scorer = Scorer(probe_config(config))
    seen = observe((scorer, scorer.code(records)), np.zeros(6, dtype=np.int64), np.arange(6), config)
    # agree 0, days:3 1, days:31 2, transposed 3, level:0.85 4, same_year 5, disagree 6; missing -1
    assert seen["dob"].tolist() == [0, 1, 3, 5, 6, -1]


def test_term_frequencies_adjust_agreement():
    surnames = pd.Series(["smith"] * 50 + ["jones"] * 30 + ["rare"] * 2 + [f"n{i}" for i in range(18)] + [None] * 5)
    learned = term_frequencies(surnames, TermFrequency(top=10, min_count=5))
    # 100 values: smith 0.5, jones 0.3; the 20 held by fewer than 5 records are not written down.
    assert learned.values == {"smith": 0.5, "jones": 0.3}
    average = 0.5 ** 2 + 0.3 ** 2 + 0.02 ** 2 + 18 * 0.01 ** 2
    assert learned.average == pytest.approx(average, rel=1e-5)
    assert learned.other == pytest.approx((0.02 ** 2 + 18 * 0.01 ** 2) / 0.2, rel=1e-5)   # 0.011
    part = Comparison.model_validate({"name": "surname", "method": "exact", "columns": ["surname"],
                                      "agree": 6.0, "disagree": -4.0, "term_frequency": learned.model_dump()})
    smith, jones, rare = (_compare_values(v, v, part) for v in ("smith", "jones", "rare"))
    assert smith == pytest.approx(6.0 + math.log2(average / 0.5))        # 6 - 1.14
    assert jones == pytest.approx(6.0 + math.log2(average / 0.3))        # 6 + 0.19
    assert rare == pytest.approx(6.0 + math.log2(average / 0.011))       # 6 + 4.94
    assert smith < 6.0 < jones < rare
    assert _compare_values("smith", "jones", part) == -4.0               # disagreement is not adjusted
    # The vectorised scorer agrees, value by value.
    scorer = Scorer(linkage({"name": "surname", "method": "exact", "columns": ["surname"], "agree": 6.0,
                             "disagree": -4.0, "term_frequency": learned.model_dump()},
                            blocking={"surname": [["surname"]]}))
    coded = scorer.code(pd.DataFrame({"surname": ["smith", "smith", "rare", "rare", "jones"]}, dtype=object))
    evidence = scorer.score_columns(coded.take(np.array([0, 2, 0])), coded.take(np.array([1, 3, 4])))
    assert evidence["surname"].tolist() == pytest.approx([smith, rare, -4.0])
    # Untrained (declared, nothing learned yet): agreement as configured.
    assert _compare_values("smith", "smith", part.model_copy(update={"term_frequency": TermFrequency()})) == 6.0


def test_training_learns_date_weights_and_term_frequencies(tmp_path):
    rng = np.random.default_rng(3)
    people = 400
    surnames = np.where(rng.random(people) < 0.3, "smith", np.array([f"s{i}" for i in range(people)], dtype=object))
    first = np.array([f"f{i % 300}" for i in range(people)], dtype=object)
    dob = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 15000, people), unit="D")
    frame = pd.DataFrame({"first": first, "surname": surnames, "dob": dob.strftime("%Y-%m-%d")}, dtype=object)
    copies = frame.sample(200, random_state=1).copy()
    shifted = pd.to_datetime(copies["dob"]) + pd.to_timedelta(rng.integers(1, 3, len(copies)), unit="D")
    copies["dob"] = np.where(np.arange(len(copies)) % 4 == 0, shifted.dt.strftime("%Y-%m-%d"), copies["dob"])
    records = pd.concat([frame, copies], ignore_index=True).astype(object)
    config = linkage({**DOB, "days": [{"days": 3, "weight": 4.0}]},
                     {"name": "name", "method": "person_name", "columns": ["first", "surname"], "agree": 4.0,
                      "disagree": -4.0, "last": {"agree": 5.0, "disagree": -5.0, "term_frequency": {"min_count": 5}}},
                     blocking={"first": [["first"]], "surname": [["surname"]]})
    trained = train(records, config, random_pairs=20_000)
    learned = {c.name: c for c in trained.config.comparisons}
    dob = learned["dob"]
    assert dob.agree > dob.days[0].weight > 0 > dob.disagree   # a day or two off is evidence, less than equal
    frequencies = learned["name"].last.term_frequency
    assert list(frequencies.values) == ["smith"]                # the only surname held by 5 records or more
    assert frequencies.values["smith"] == pytest.approx((surnames == "smith").sum() * 1.5 / len(records), abs=0.02)
    # Kept in the model file and read back unchanged.
    write_model(tmp_path / "model.yaml", model_of(trained, "test"))
    again = load_linkage_model(tmp_path / "model.yaml")
    assert again.linkage.comparisons[1].last.term_frequency == frequencies
    assert again.linkage.comparisons[0].days == dob.days


def test_pairs_found_as_links_are_not_judged_again_and_verdicts_are_unchanged():
    """conflict_check(passed=links): a link already passed the vetoes, column-wise; the guard takes
    that verdict instead of scoring the pair again, and gives the same answer on every group pair."""
    from tasks.identity.blocking import block_keys, pairs_within
    from tasks.identity.comparisons import conflict_check, find_links

    rng = np.random.default_rng(5)
    firsts = rng.choice(["anna", "anne", "ana", "bob", "robert", "rob", "jo", ""], 120).astype(object)
    lasts = rng.choice(["lee", "li", "leigh", "smith", "smyth"], 120).astype(object)
    dobs = rng.choice(["1980-03-04", "1980-03-05", "1980-04-03", "1990-01-01", None], 120).astype(object)
    nodes = pd.DataFrame({"first": np.where(firsts == "", None, firsts), "surname": lasts, "dob": dobs}, dtype=object)
    config = LinkageConfig.model_validate({
        "threshold": 6.0, "veto": {"score": -2.0}, "blocking": {"dob": [["dob"]], "surname": [["surname"]]},
        "comparisons": [DOB, {"name": "name", "method": "person_name", "columns": ["first", "surname"],
                              "agree": 4.0, "disagree": -4.0, "last": {"agree": 5.0, "disagree": -5.0}}]})
    scorer = Scorer(config)
    coded = scorer.code(nodes)
    links = find_links(coded, pairs_within(block_keys(nodes, config), 50), scorer)
    assert len(links) > 50
    fresh, seeded = conflict_check(coded, scorer), conflict_check(coded, scorer, passed=links)
    groups = [[node] for node in range(120)] + [list(range(start, start + 3)) for start in range(0, 120, 3)]
    verdicts = [(fresh(a, b), seeded(a, b)) for a in groups for b in groups if a < b]
    assert [v[0] for v in verdicts] == [v[1] for v in verdicts]
    assert any(v[0] for v in verdicts) and not all(v[0] for v in verdicts)
    linked = links.iloc[0]
    assert not seeded([int(linked["left"])], [int(linked["right"])])
