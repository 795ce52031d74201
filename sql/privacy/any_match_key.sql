-- Whether the warehouse holds any match key (one row, or none).
SELECT 1 AS found FROM lead_match_keys LIMIT 1
