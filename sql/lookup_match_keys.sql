-- Golden leads holding one of the day's match keys, as known before the run date.
SELECT key_type, key_value, lead_id
FROM lead_match_keys
WHERE key_type = :key_type
  AND key_value IN :values
  AND run_date < :run_date
