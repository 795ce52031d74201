-- Golden leads holding one of the day's match keys (in lookup_values), as known before the run date.
SELECT m.key_type, m.key_value, m.lead_id
FROM lookup_values AS v
JOIN lead_match_keys AS m ON m.key_type = v.key_type AND m.key_value = v.key_value
WHERE m.run_date < :run_date
