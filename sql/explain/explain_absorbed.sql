-- Where a lead went that a lead-to-lead merge absorbed: the lead that absorbed it and when (its
-- first move), with the bridging link of that date (lead_merges: the record of the day that
-- matched one of its records).
SELECT m.run_date, m.to_lead_id, b.source_system, b.source_lead_id, b.matched_source_system,
       b.matched_source_lead_id, b.rule, b.score
FROM lead_moves AS m
LEFT JOIN lead_merges AS b
  ON b.run_date = m.run_date AND b.lead_id = m.to_lead_id AND b.matched_lead_id = m.from_lead_id
WHERE m.from_lead_id = :lead_id
ORDER BY m.run_date, b.score DESC
