SELECT run_date, lead_id, source_system, source_lead_id, matched_source_system, matched_source_lead_id,
       matched_lead_id, rule, score, keys, evidence
FROM lead_merges
