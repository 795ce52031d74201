DELETE FROM lead_match_keys
