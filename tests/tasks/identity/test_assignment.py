from __future__ import annotations

import json
import uuid

import pandas as pd

from tasks.intake.contract import LEAD_COLUMNS, custom_column
from flows.settings import CONFIG_DIR
from tasks.identity.assignment import (LEAD_NAMESPACE, MATCH_COLUMNS, SEP, Known, assign_leads, attribute,
                                       load_dedupe_config, new_lead_id, new_lead_ids, row_keys)
from tasks.identity.survivorship import golden_records
from tasks.identity.blocking import UNKEYED, HashKey, key_hashes
from tasks.intake.extract import with_contract_columns
from tasks.screening.normalize import normalise_leads

NO_KNOWN = Known()
CONFIG = load_dedupe_config(CONFIG_DIR / "dedupe.yaml")


def rows(*records: dict) -> pd.DataFrame:
    frame = pd.DataFrame([{"source_system": "hubspot", "created_at": "2026-03-02T09:00:00Z", **r} for r in records],
                         dtype=object)
    frame = with_contract_columns(frame, LEAD_COLUMNS).astype(object)
    frame = frame.where(frame.notna(), None)
    return normalise_leads(frame).assign(row_number=range(len(frame)))


def known_of(*keys: tuple, candidates: pd.DataFrame | None = None) -> Known:
    """What the warehouse knows: (key_type, values, lead_id) per key, "source" keys naming a
    source record; with candidate records as lead_identities holds them, by default one per
    lead matched on its email or phone key."""
    sources = [(values, lead) for key_type, values, lead in keys if key_type == "source"]
    hashes = [(int(key_hashes(key_type, *([v] for v in values))[0]), lead)
              for key_type, values, lead in keys if key_type != "source"]
    if candidates is None:
        records = []
        for i, (key_type, values, lead) in enumerate(keys):
            record = dict.fromkeys(MATCH_COLUMNS)
            record.update({"email": {"match_email": values[0]}, "phone": {"phone_e164": values[0]}}.get(key_type, {}))
            records.append({"lead_id": lead, "source_system": "crm", "source_lead_id": f"r{i}", **record})
        candidates = pd.DataFrame(records)
    return Known(keys=pd.DataFrame(hashes, columns=["key_hash", "lead_id"]).astype({"key_hash": "int64"}),
                 sources=pd.DataFrame(sources, columns=["source_key", "lead_id"]), candidates=candidates)


def test_same_day_duplicates_share_one_new_lead():
    day = rows(
        {"source_lead_id": "1", "email": "Ann.Lee@Acme.com"},
        {"source_lead_id": "2", "email": " ann.lee@acme.com", "source_system": "marketo"},
        {"source_lead_id": "3", "email": "bo@other.com", "phone": "+1 415 555 2671"},
        {"source_lead_id": "4", "phone": "(415) 555-2671", "country": "US"},
        {"source_lead_id": "5", "email": "someone@else.com"},
    )
    result = assign_leads(day, NO_KNOWN, "2026-03-02", CONFIG)
    got = result.rows.set_index("row_number")
    assert got.loc[0, "lead_id"] == got.loc[1, "lead_id"] == new_lead_id("hubspot" + SEP + "1")
    assert got.loc[2, "lead_id"] == got.loc[3, "lead_id"] != got.loc[0, "lead_id"]
    assert got["lead_id"].nunique() == 3
    assert got["disposition"].tolist() == ["written", "merged", "written", "merged", "written"]
    assert got["match_rule"].tolist() == ["new", "email", "new", "phone", "new"]
    assert len(result.identities) == 5 and set(result.identities["match_rule"]) == {"new", "email", "phone"}
    # Each link is in the ledger with its evidence.
    merges = result.merges.set_index("source_lead_id")
    assert merges.loc["2", ["matched_source_lead_id", "rule", "keys"]].tolist() == ["1", "email", "email"]
    phone = next(c for c in CONFIG.linkage.comparisons if c.name == "phone")
    assert json.loads(merges.loc["4", "evidence"])["phone"] == phone.agree
    expected = key_hashes("email", ["ann.lee@acme.com", "bo@other.com", "someone@else.com"]).tolist() + \
        key_hashes("phone", ["+14155552671"]).tolist()
    assert sorted(result.match_keys["key_hash"]) == sorted(expected)


def test_matches_existing_leads_by_source_id_email_then_phone():
    known = known_of(("source", "hubspot" + SEP + "10", "L-source"), ("email", ["ann@acme.com"], "L-email"),
                     ("phone", ["+14155552671"], "L-phone"), ("email", ["zed@acme.com"], "L-zed"))
    day = rows(
        {"source_lead_id": "10", "email": "zed@acme.com"},               # known record: stays with its lead
        {"source_lead_id": "11", "email": "ANN@acme.com", "phone": "+1 415 555 2671"},  # email beats phone
        {"source_lead_id": "12", "phone": "415-555-2671", "country": "US"},
    )
    result = assign_leads(day, known, "2026-03-03", CONFIG)
    got = result.rows.set_index("row_number")
    assert got.loc[0, ["lead_id", "match_rule", "disposition"]].tolist() == ["L-source", "source_id", "written"]
    assert got.loc[1, ["lead_id", "match_rule", "disposition"]].tolist() == ["L-email", "email", "merged"]
    assert got.loc[2, ["lead_id", "match_rule", "disposition"]].tolist() == ["L-email", "phone", "merged"]
    # The known record is not a new identity; the two others are.
    assert sorted(result.identities["source_lead_id"]) == ["11", "12"]
    # Keys the warehouse already has for that lead are not stored again.
    stored = set(zip(result.match_keys["key_hash"], result.match_keys["lead_id"]))
    assert (key_hashes("email", ["ann@acme.com"])[0], "L-email") not in stored
    assert (key_hashes("phone", ["+14155552671"])[0], "L-email") in stored
    # Record 11 holds L-email's address and L-phone's number: it proves them one person, and
    # L-email (the older: equal first dates, then the smaller id) absorbs L-phone's record; so
    # does the known record 10 of L-source, now with L-zed's address.
    assert result.moves[["source_lead_id", "from_lead_id", "to_lead_id"]].values.tolist() == [
        ["r2", "L-phone", "L-email"], ["r3", "L-zed", "L-source"]]
    assert result.absorbed.to_dict() == {"L-phone": "L-email", "L-zed": "L-source"}


def test_a_record_linked_to_two_leads_merges_them_into_the_older_unless_guarded():
    """A record of the day holding one lead's address and another's phone merges the two leads,
    the older (first seen first) absorbing the other; not when the names clash (the veto), when a
    split keeps them apart, when the merged lead would exceed max_cluster, when two records of the
    day each match one lead (a chain proves nothing), nor with merge_leads off."""
    def lead(lead_id: str, record: str, seen: str, **fields: str) -> dict:
        return {"lead_id": lead_id, "source_system": "crm", "source_lead_id": record, "run_date": seen,
                **dict.fromkeys(MATCH_COLUMNS), "first_key": "ann", "last_key": "lee", **fields}

    records = pd.DataFrame([lead("L-new", "p", "2026-03-01", phone_e164="+14155552671"),
                            lead("L-old", "e", "2026-02-01", match_email="ann.lee@acme.com")])
    keys = (("email", ["ann.lee@acme.com"], "L-old"), ("phone", ["+14155552671"], "L-new"))
    both = {"source_lead_id": "x", "email": "ann.lee@acme.com", "phone": "+1 415 555 2671", "first_name": "Ann",
            "last_name": "Lee"}
    merged = assign_leads(rows(both), known_of(*keys, candidates=records), "2026-03-02", CONFIG)
    assert merged.rows[["lead_id", "match_rule"]].values.tolist() == [["L-old", "email"]]
    assert merged.moves.values.tolist() == [["2026-03-02", "crm", "p", "L-new", "L-old"]]
    bridge = merged.merges.set_index("matched_lead_id")
    assert bridge.loc["L-new", ["lead_id", "source_lead_id", "matched_source_lead_id", "rule"]].tolist() == [
        "L-old", "x", "p", "phone"]

    def unmerged(known: Known, day: pd.DataFrame, config=CONFIG) -> bool:
        return assign_leads(day, known, "2026-03-02", config).moves.empty

    clash = records.assign(first_key=["erin", "ann"], last_key=["cole", "lee"])
    assert unmerged(known_of(*keys, candidates=clash), rows(both))
    splits = pd.DataFrame({"source_key": ["crm" + SEP + "p"], "other_key": ["crm" + SEP + "e"],
                           "lead_id": ["L-new"], "other_lead_id": ["L-old"]})
    assert unmerged(Known(keys=known_of(*keys).keys, candidates=records, splits=splits), rows(both))
    small = CONFIG.model_copy(update={"linkage": CONFIG.linkage.model_copy(update={"max_cluster": 2})})
    assert unmerged(known_of(*keys, candidates=records), rows(both), small)
    chain = rows({**both, "phone": None}, {**both, "source_lead_id": "y", "email": None})
    assert unmerged(known_of(*keys, candidates=records), chain)
    assert unmerged(known_of(*keys, candidates=records), rows(both), CONFIG.model_copy(update={"merge_leads": False}))


def test_lead_ids_are_stable_across_runs():
    day = rows({"source_lead_id": "1", "email": "a@b.com"}, {"source_lead_id": "2", "email": "c@d.com"})
    first = assign_leads(day, NO_KNOWN, "2026-03-02", CONFIG).rows
    again = assign_leads(day.iloc[::-1].reset_index(drop=True).assign(row_number=[0, 1]), NO_KNOWN, "2026-03-02", CONFIG).rows
    assert set(first["lead_id"]) == set(again["lead_id"])


def test_golden_record_survivorship_and_consent():
    existing = pd.DataFrame([{
        "lead_id": "L1", "email": "ann@acme.com", "email_key": "ann@acme.com", "first_name": "Ann",
        "last_name": "Lee", "phone": None, "phone_e164": None, "company": "Acme", "job_title": "Analyst",
        "industry": "Software", "employee_count": 300, "annual_revenue": None, "country": "US", "region": None,
        "city": None, "lead_source": "web_form", "campaign": None, "utm_source": None, "utm_medium": None,
        "utm_campaign": None, "email_consent": True, "do_not_contact": False,
        "custom_attributes": json.dumps({"tier": "gold"}),
        "created_at": pd.Timestamp("2026-03-01T08:00:00Z"), "updated_at": pd.Timestamp("2026-03-01T08:00:00Z"),
    }])
    day = rows(
        {"source_lead_id": "7", "email": "ann@acme.com", "job_title": "Director of IT", "company": None,
         "email_consent": "true", "do_not_contact": "true", "updated_at": "2026-03-02T10:00:00Z", custom_column("plan"): "pro"},
        {"source_lead_id": "8", "email": "ann@acme.com", "job_title": "VP IT", "email_consent": "false",
         "updated_at": "2026-03-02T09:00:00Z"},
    )
    assigned = assign_leads(day, known_of(("email", ["ann@acme.com"], "L1")), "2026-03-02", CONFIG).rows
    golden = golden_records(day, assigned, existing).set_index("lead_id")
    assert list(golden.index) == ["L1"]
    g = golden.loc["L1"]
    assert g["job_title"] == "Director of IT"        # the most recent non-empty value
    assert g["company"] == "Acme"                    # an empty new value does not erase an old one
    assert g["first_name"] == "Ann" and int(g["employee_count"]) == 300
    assert not g["email_consent"] and g["do_not_contact"]   # the most restrictive record wins
    assert g["created_at"] == pd.Timestamp("2026-03-01T08:00:00Z")
    assert json.loads(g["custom_attributes"]) == {"tier": "gold", "plan": "pro"}


def test_attribute_through_known_and_new_identities():
    known = known_of(("source", "hubspot" + SEP + "1", "L1"))
    assigned = pd.DataFrame({"source_key": ["marketo" + SEP + "9"], "lead_id": ["L9"]})
    activities = pd.DataFrame({"source_system": ["hubspot", "marketo", "hubspot"], "source_lead_id": ["1", "9", "2"]})
    assert attribute(activities, known, assigned).tolist() == ["L1", "L9", None]


def test_attribute_keeps_the_rows_order_index_and_missing_values_and_follows_absorbed_leads():
    known = known_of(("source", "hubspot" + SEP + "1", "L1"), ("source", "hubspot" + SEP + "3", "L3"))
    assigned = pd.DataFrame({"source_key": ["marketo" + SEP + "1"], "lead_id": ["L9"]})
    activities = pd.DataFrame(
        {"source_system": ["hubspot", "marketo", None, "hubspot", "marketo", "hubspot", "hubspot"],
         "source_lead_id": ["1", "1", "1", None, "1", "3", "1"]},
        index=[70, 11, 12, 13, 14, 15, 16])
    found = attribute(activities, known, assigned, absorbed=pd.Series({"L3": "L9"}))
    assert found.index.tolist() == [70, 11, 12, 13, 14, 15, 16] and found.dtype == object
    assert found.tolist() == ["L1", "L9", None, None, "L9", "L9", "L1"]
    assert attribute(activities.iloc[:0], known, assigned).tolist() == []


def test_unknown_consent_does_not_override_an_explicit_answer():
    day = rows(
        {"source_lead_id": "1", "email": "a@b.com", "email_consent": "true"},
        {"source_lead_id": "2", "email": "a@b.com"},                       # says nothing
        {"source_lead_id": "3", "email": "new@b.com"},                     # says nothing, alone
    )
    assigned = assign_leads(day, NO_KNOWN, "2026-03-02", CONFIG).rows
    golden = golden_records(day, assigned, pd.DataFrame(columns=["lead_id", "custom_attributes"]))
    consent = dict(zip(golden["email"], golden["email_consent"]))
    assert consent == {"a@b.com": True, "new@b.com": False}
    assert not golden["do_not_contact"].any()


# --- fuzzy matching and its guards -----------------------------------------------------------------

PERSON = {"first_name": "Rebecca", "last_name": "Fitzgerald", "company": "Oak Point Advisors LLC",
          "city": "Austin", "country": "US"}


def linked(*records: dict, known: Known = NO_KNOWN) -> list[str]:
    day = rows(*({"source_lead_id": str(i), **r} for i, r in enumerate(records)))
    return assign_leads(day, known, "2026-03-02", CONFIG).rows["lead_id"].tolist()


def test_fuzzy_duplicates_without_a_shared_key_are_merged():
    base = {**PERSON, "email": "rebecca.fitzgerald@oakpoint.com"}
    variants = [
        {**PERSON, "first_name": "Becky", "email": "becky77@gmail.com"},                     # nickname
        {**PERSON, "last_name": "Fitzgerlad"},                                                 # typo
        {**PERSON, "first_name": "Fitzgerald", "last_name": "Rebecca"},                       # swapped
        {**PERSON, "company": "OAK POINT ADVISORS, L.L.C.", "email": "rfitz@yahoo.com"},      # company variant
        {**PERSON, "email": "rebecca.fitzgerlad@oakpoint.com"},                               # email slip
    ]
    for variant in variants:
        ids = linked(base, variant)
        assert ids[0] == ids[1], variant


def test_no_merge_for_shared_switchboards_role_mailboxes_colleagues_and_namesakes():
    office = {"company": "Oak Point Advisors", "city": "Austin", "country": "US"}
    switchboard = [{**office, "first_name": "Tom", "last_name": "Baker", "phone": "+1 512 555 0100",
                    "email": "tom.baker@oakpoint.com"},
                   {**office, "first_name": "Ana", "last_name": "Silva", "phone": "(512) 555-0100",
                    "email": "ana.silva@oakpoint.com"}]
    mailbox = [{**office, "first_name": "Tom", "last_name": "Baker", "email": "info@oakpoint.com"},
               {**office, "first_name": "Ana", "last_name": "Silva", "email": "info@oakpoint.com"}]
    colleagues = [{**office, "first_name": "John", "last_name": "Miller", "email": "john.miller@oakpoint.com"},
                  {**office, "first_name": "Sarah", "last_name": "Miller", "email": "sarah.miller@oakpoint.com"}]
    namesakes = [{"first_name": "Michael", "last_name": "Brown", "company": "Westridge Financial", "city": "Denver",
                  "email": "michael.brown@westridge.com"},
                 {"first_name": "Michael", "last_name": "Brown", "company": "Eastgate Retail", "city": "Leeds",
                  "email": "mbrown@eastgate.co.uk"}]
    for pair in (switchboard, mailbox, colleagues, namesakes):
        ids = linked(*pair)
        assert ids[0] != ids[1], pair


def test_one_initial_cannot_chain_two_different_people():
    office = {"company": "Oak Point Advisors", "city": "Austin", "country": "US"}
    john = {**office, "first_name": "John", "last_name": "Smith", "email": "john.smith@oakpoint.com"}
    jane = {**office, "first_name": "Jane", "last_name": "Smith", "email": "jane.smith@oakpoint.com"}
    initial = {**office, "first_name": "J", "last_name": "Smith"}
    ids = linked(john, initial, jane)
    assert ids[0] != ids[2]                      # never John and Jane together
    assert ids[1] in (ids[0], ids[2])            # the initial joins one of them


def test_a_day_record_matches_any_record_of_an_existing_lead_never_two_leads():
    records = pd.DataFrame([
        {"lead_id": "L1", "source_system": "crm", "source_lead_id": "a", **dict.fromkeys(MATCH_COLUMNS),
         "first_key": "elizabeth", "last_key": "fitzgerald", "company_key": "oak point advisors"},
        {"lead_id": "L1", "source_system": "crm", "source_lead_id": "b", **dict.fromkeys(MATCH_COLUMNS),
         "first_key": "liz", "last_key": "fitzgerald", "company_key": "oak point advisors", "city_key": "austin"},
        {"lead_id": "L2", "source_system": "crm", "source_lead_id": "c", **dict.fromkeys(MATCH_COLUMNS),
         "first_key": "rebecca", "last_key": "fitzgerald", "company_key": "oak point advisors", "city_key": "austin"},
    ])
    key = ["fitzgerald", "oak point advisors"]
    known = known_of(("name_company", key, "L1"), ("name_company", key, "L2"), candidates=records)
    beth = {**PERSON, "first_name": "Beth"}
    assert linked(beth, known=known) == ["L1"]
    both = {**PERSON, "first_name": "Beth", "source_lead_id": "x"}
    becky = {**PERSON, "first_name": "Becky", "source_lead_id": "y"}
    day = rows(both, becky)
    got = assign_leads(day, known, "2026-03-02", CONFIG).rows["lead_id"].tolist()
    assert got == ["L1", "L2"]  # each to its own lead; the two leads are not merged
    # The warehouse may return candidate records in any order: the outcome and ledger are the same.
    shuffled = known_of(("name_company", key, "L1"), ("name_company", key, "L2"), candidates=records.iloc[::-1])
    again = assign_leads(day, shuffled, "2026-03-02", CONFIG)
    assert again.rows["lead_id"].tolist() == got
    assert again.merges.drop(columns="evidence").equals(assign_leads(day, known, "2026-03-02", CONFIG).merges
                                                        .drop(columns="evidence"))


def test_split_records_are_kept_apart():
    base = {**PERSON, "email": "rebecca.fitzgerald@oakpoint.com", "source_lead_id": "1"}
    again = {**PERSON, "email": "rebecca.fitzgerald@oakpoint.com", "source_lead_id": "2"}
    day = rows(base, again)
    splits = pd.DataFrame({"source_key": ["hubspot" + SEP + "2"], "other_key": ["hubspot" + SEP + "1"],
                           "lead_id": [None], "other_lead_id": [None]})
    together = assign_leads(day, NO_KNOWN, "2026-03-02", CONFIG).rows["lead_id"]
    apart = assign_leads(day, Known(splits=splits), "2026-03-02", CONFIG).rows["lead_id"]
    assert together.nunique() == 1 and apart.nunique() == 2


def test_hostile_records_never_crash_the_stage():
    hostile = ["", " ", "x" * 10_000, "😀" * 300, "\u202eevil", "a\x00b", "'; DROP TABLE leads; --"]
    records = [{"first_name": v, "last_name": v, "company": v, "city": v, "email": f"{v}@x.com" if v else v}
               for v in hostile]
    ids = linked(*records)
    assert len(ids) == len(hostile)


def test_source_priority_survivorship_and_provenance():
    from tasks.identity.survivorship import Survivorship
    day = rows({"source_lead_id": "1", "source_system": "salesforce", "email": "ann@acme.com", "company": "Acme Corp",
                "updated_at": "2026-03-02T08:00:00Z"},
               {"source_lead_id": "2", "source_system": "hubspot", "email": "ann@acme.com", "company": "ACME",
                "updated_at": "2026-03-02T09:00:00Z"})
    assigned = assign_leads(day, NO_KNOWN, "2026-03-02", CONFIG).rows
    empty = pd.DataFrame(columns=["lead_id", "custom_attributes"])
    latest = golden_records(day, assigned, empty).iloc[0]
    ranked = golden_records(day, assigned, empty, Survivorship(source_priority=["salesforce", "hubspot"],
                                                                columns={"company": "source_priority"})).iloc[0]
    assert latest["company"] == "ACME" and json.loads(latest["provenance"])["company"] == "hubspot"
    assert ranked["company"] == "Acme Corp" and json.loads(ranked["provenance"])["company"] == "salesforce"


def test_names_from_fuzzy_links_only_fill_gaps():
    day = rows({"source_lead_id": "1", "first_name": "Rebecca", "last_name": "Fitzgerald",
                "updated_at": "2026-03-02T08:00:00Z"},
               {"source_lead_id": "2", "first_name": "Becky", "last_name": "Fitzgerlad", "job_title": "CFO",
                "updated_at": "2026-03-02T09:00:00Z"})
    assigned = pd.DataFrame({"row_number": [0, 1], "lead_id": ["L1", "L1"], "match_rule": ["new", "fuzzy"]})
    golden = golden_records(day, assigned, pd.DataFrame(columns=["lead_id", "custom_attributes"])).iloc[0]
    assert (golden["first_name"], golden["last_name"]) == ("Rebecca", "Fitzgerald")
    assert golden["job_title"] == "CFO"  # other attributes: the most recent value, as configured
    alone = golden_records(day.iloc[[1]], assigned.iloc[[1]], pd.DataFrame(columns=["lead_id", "custom_attributes"]))
    assert alone.iloc[0]["first_name"] == "Becky"  # with nothing better, the fuzzy record's name stands


def test_vectorised_scores_equal_pair_by_pair_scores():
    """Scorer.score_columns (bulk, coded, in C) and Scorer.weights (one pair, for the cluster guard) agree."""
    import itertools

    import numpy as np

    from tasks.identity.comparisons import Scorer, find_links

    first = ["rebecca", "becky", "rebeca", "r", "b", None, "fitzgerald", "li", "le", "liam", "william"]
    last = ["fitzgerald", "fitzgerlad", "li", "le", None, "rebecca", "ma", "me"]
    other = ["oak point advisors", "oak point", None, "austin", "a@b.com", "a@c.com", "+15125550100"]
    records = [{"first_key": f, "last_key": l_, "company_key": c, "city_key": c, "match_email": e,
                "phone_e164": e, "corporate_domain": c, "country_key": "US" if c else None}
               for f, l_, c, e in itertools.product(first, last, other, other)]
    frame = pd.DataFrame(records, columns=CONFIG.linkage.columns())
    frame = frame.astype(object).where(frame.notna(), None)
    scorer = Scorer(CONFIG.linkage)
    coded = scorer.code(frame)
    rng = np.random.default_rng(1)
    left, right = rng.integers(0, len(frame), 3000), rng.integers(0, len(frame), 3000)
    bulk = scorer.score_columns(coded.take(left), coded.take(right))
    names = [c.name for c in CONFIG.linkage.comparisons]
    for i, (l_, r_) in enumerate(zip(left, right)):
        a, b = scorer.record(coded, l_), scorer.record(coded, r_)
        one = scorer.weights(a, b)
        assert bulk.loc[i, names].tolist() == one, (a, b)
        assert bulk.loc[i, "vetoed"] == scorer.vetoed(a, b, one)
        # The cluster guard judges vetoes from the vetoing comparisons alone: same verdict.
        only = scorer.veto_comparisons
        assert scorer.vetoed(a, b, one) == scorer.vetoed(*(scorer.record(coded, x, only) for x in (l_, r_)),
                                                         scorer.weights(scorer.record(coded, l_, only),
                                                                        scorer.record(coded, r_, only), only))
    # Scored in chunks on several threads, the links are the same, in the same order.
    pairs = pd.DataFrame({"left": np.minimum(left, right), "right": np.maximum(left, right), "keys": "email"})
    pairs = pairs[pairs["left"] != pairs["right"]].reset_index(drop=True)
    one_thread = find_links(coded, pairs, scorer, chunk=len(pairs), threads=1)
    assert len(one_thread) > 20
    pd.testing.assert_frame_equal(find_links(coded, pairs, scorer, chunk=97, threads=3), one_thread)
    # And on a Dask cluster of two worker processes (a night with MQL_LEAD_PARTITIONS=2): in at
    # least two chunks, the same links in the same order.
    from distributed import Client, LocalCluster

    from flows.stages import DaskChunks

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        sent: list[int] = []

        class Counted(DaskChunks):
            def __call__(self, function, parts, *shared):
                sent.append(len(parts))
                return super().__call__(function, parts, *shared)

        pd.testing.assert_frame_equal(find_links(coded, pairs, scorer, pool=Counted(client, 2)), one_thread)
        assert sent == [2]
        assert sum(client.run(lambda: 1).values()) == 2  # two worker processes did it


def test_match_keys_are_stable_hashes_shared_by_alternatives():
    # Stored keys outlive the process and the release: a change here would lose every lead base.
    assert key_hashes("email", ["ann@acme.com"]).tolist() == [-1734869332479358624]  # without a key (before rekey)
    assert key_hashes("name_company", ["smith"], ["acme"]).tolist() == [6482206474179193519]
    key = HashKey.derive("a secret of the warehouse")
    assert key_hashes("email", ["ann@acme.com"], key=key).tolist() == [-5679190727433172927]
    day = rows({"source_lead_id": "1", "first_name": "Smith", "last_name": "Ann", "company": "Acme Inc"},
               {"source_lead_id": "2", "first_name": "Ann", "last_name": "Smith", "company": "ACME"})
    keys = row_keys(day, CONFIG, key=key)
    company = keys[keys["key_type"] == "name_company"].groupby("row_number")["key_hash"].apply(set)
    assert company[0] == company[1] and len(company[0]) == 2   # swapped names meet on one key
    assert key_hashes("name_company", ["smith"], ["acme"], key=key)[0] in company[0]


def test_match_keys_are_keyed_so_guessed_emails_find_nothing():
    # Issue 12, item 8: unkeyed hashes let 2 000 guessed emails find 174 leads in 9 ms. Under a
    # secret key, the hashes of guesses (made with any other key, or none) match no stored key.
    emails = [f"person{i}@example.com" for i in range(2000)]
    secret = HashKey.derive("the warehouse's secret, long and random")
    stored = set(key_hashes("email", emails, key=secret).tolist())
    assert len(stored) == 2000
    for guess_key in (UNKEYED, HashKey.derive("another secret, long and random"), HashKey.derive("")):
        assert not stored & set(key_hashes("email", emails, key=guess_key).tolist())
    assert secret.fingerprint != HashKey.derive("another secret, long and random").fingerprint
    assert "random" not in repr(secret) and secret.sip not in repr(secret)


def test_new_lead_ids_are_uuid5_of_the_founding_record():
    keys = ["hubspot" + SEP + "1", "crm" + SEP + "é 😀 \u202e", "web" + SEP + "x" * 300]
    assert new_lead_ids(keys).tolist() == [str(uuid.uuid5(LEAD_NAMESPACE, key)) for key in keys]
    assert new_lead_id(keys[0]) == str(uuid.uuid5(LEAD_NAMESPACE, keys[0]))
    assert len(new_lead_ids([])) == 0


# --- strong identifiers against weak name disagreement (issue 18, item 3) ---------------------------

def test_an_identical_email_or_phone_is_not_split_by_a_blank_swapped_initial_or_typo_name():
    rebecca = {"first_name": "Rebecca", "last_name": "Fitzgerald"}
    weak = [
        {"first_name": "Rebecca", "last_name": None},              # surname left blank
        {"first_name": None, "last_name": "Fitzgerald"},           # first name left blank
        {"first_name": "Fitzgerald", "last_name": "Rebecca"},      # swapped
        {"first_name": "Fitzgerald", "last_name": None},           # swapped, and a blank
        {"first_name": "R", "last_name": None},                    # an initial only
        {"first_name": "R.", "last_name": "Fitzgerald"},           # an initial
        {"first_name": "Rebceca", "last_name": "Fitzgerald"},      # one typo
        {"first_name": "Rebecca", "last_name": "Fitzgerlad"},      # one typo in the surname
        {"first_name": "Rebecca Fitzgerald", "last_name": None},   # the whole name in one field
    ]
    for name in weak:
        # No company, city or domain to help: the address or the number alone links them.
        by_email = linked({**rebecca, "email": "becca.f@gmail.com"}, {**name, "email": "Becca.F@gmail.com"})
        by_phone = linked({**rebecca, "phone": "+44 7911 123456"}, {**name, "phone": "07911 123456", "country": "GB"})
        assert by_email[0] == by_email[1] and by_phone[0] == by_phone[1], name


def test_a_blank_name_does_not_keep_a_record_out_of_a_lead_through_its_other_records():
    # The day's record shares an address with one record of the lead and meets a second
    # record of it ("Becky") through the cluster guard: a blank or swapped name is no veto there.
    day = [{"first_name": "Rebecca", "last_name": "Fitzgerald", "email": "rebecca@oakpoint.com",
            "company": "Oak Point Advisors"},
           {"first_name": "Becky", "last_name": "Fitzgerald", "email": "becky77@gmail.com",
            "company": "Oak Point Advisors"},
           {"first_name": "Fitzgerald", "last_name": None, "email": "rebecca@oakpoint.com"}]
    ids = linked(*day)
    assert ids[0] == ids[1] == ids[2]


def test_clearly_unrelated_names_still_keep_people_apart_whatever_they_share():
    office = {"company": "Oak Point Advisors", "city": "Austin", "country": "US"}
    # A switchboard: one record without a surname, its first name unrelated to the other's names.
    switchboard = [{**office, "first_name": "Tom", "last_name": "Baker", "phone": "+1 512 555 0100"},
                   {**office, "first_name": "Ana", "last_name": None, "phone": "(512) 555-0100"}]
    # A family mailbox: one surname, two first names.
    family = [{"first_name": "John", "last_name": "Miller", "email": "millers@gmail.com"},
              {"first_name": "Sarah", "last_name": "Miller", "email": "millers@gmail.com"}]
    # Namesakes by first name at one number.
    namesakes = [{**office, "first_name": "John", "last_name": "Smith", "phone": "+1 512 555 0100"},
                 {**office, "first_name": "John", "last_name": "Brown", "phone": "+1 512 555 0100"}]
    for pair in (switchboard, family, namesakes):
        ids = linked(*pair)
        assert ids[0] != ids[1], pair


def test_name_veto_reads_clear_evidence_only():
    from tasks.identity.comparisons import Scorer, names_clash

    name = next(c for c in CONFIG.linkage.comparisons if c.name == "name")
    nick = CONFIG.linkage.nickname_pairs
    assert CONFIG.linkage.veto == {"name": "unrelated"}
    clear = [("john", "smith", "jane", "smith"), ("tom", "baker", "ana", None), ("jane", None, "john", None),
             ("john", "smith", "john", "brown"), ("j", "smith", "m", "smith")]
    weak = [("rebecca", None, "rebecca", "fitzgerald"), ("fitzgerald", None, "rebecca", "fitzgerald"),
            ("r", None, "rebecca", "fitzgerald"), ("rebceca", "fitzgerald", "rebecca", "fitzgerald"),
            ("fitzgerald", "rebecca", "rebecca", "fitzgerald"), ("jane", None, None, "smith"),
            ("becky", "fitzgerald", "rebecca", "fitzgerald"), (None, None, "ann", "lee")]
    assert [names_clash(*names, name, nick) for names in clear] == [True] * len(clear)
    assert [names_clash(*names, name, nick) for names in weak] == [False] * len(weak)
    # A swap with a blank counts as a swap: the surname agrees (+4), the swap costs 1, the blank 0.
    scorer = Scorer(CONFIG.linkage)
    record = dict.fromkeys(scorer.columns)
    a = tuple({**record, "first_key": "fitzgerald"}.values())
    b = tuple({**record, "first_key": "rebecca", "last_key": "fitzgerald"}.values())
    position = [c.name for c in CONFIG.linkage.comparisons].index("name")
    assert scorer.weights(a, b)[position] == name.agree + name.swapped == 3.0
    assert not scorer.vetoed(a, b, scorer.weights(a, b))


def test_a_typo_and_a_nickname_of_one_person_are_bridged_by_their_full_name():
    # "Joés" (a typo) and "Pepe" (a nickname) are unrelated to each other, but both are José's.
    office = {"last_name": "Vázquez", "company": "Sun Way Insurance LLC", "city": "Chicago", "country": "US"}
    ids = linked({**office, "first_name": "José", "email": "josevazquez@sunwayinsurance.com"},
                 {**office, "first_name": "Joés"},
                 {**office, "first_name": "Pepe", "email": "jose.vazquez89@outlook.com"})
    assert ids[0] == ids[1] == ids[2]
    # An initial bridges nothing: John and Jane stay apart (see the chaining test above).
    from tasks.identity.comparisons import names_related

    name = next(c for c in CONFIG.linkage.comparisons if c.name == "name")
    nick = CONFIG.linkage.nickname_pairs
    assert names_related("jose", "vazquez", "joes", "vazquez", name, nick)
    assert names_related("jose", "vazquez", "pepe", None, name, nick)
    assert not names_related("j", "smith", "john", "smith", name, nick)
    assert not names_related("john", "smith", "john", "brown", name, nick)
