-- The next :limit source records after lead :after, in lead order, with what they are matched on
-- and the run date each was first seen (`mql rekey` recomputes the match keys from them).
SELECT lead_id, run_date, first_key, last_key, company_key, city_key, country_key, match_email,
       corporate_domain, phone_e164, match_extra
FROM lead_identities
WHERE lead_id > :after
ORDER BY lead_id, source_system, source_lead_id
LIMIT :limit
