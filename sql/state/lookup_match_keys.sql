-- Golden leads holding one of the day's match keys (lookup_values: key_hash), as known before
-- the run date. lookup_values drives the join (CROSS JOIN keeps that order on SQLite).
SELECT m.key_hash, m.lead_id
FROM lookup_values AS v
CROSS JOIN lead_match_keys AS m
WHERE m.key_hash = v.key_hash
  AND m.run_date < :run_date
