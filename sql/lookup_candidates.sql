-- The source records of candidate leads (:values are lead ids) with what they are matched on,
-- as known before the run date.
SELECT lead_id, source_system, source_lead_id, first_key, last_key, company_key, city_key, country_key,
       match_email, corporate_domain, phone_e164
FROM lead_identities
WHERE lead_id IN :values
  AND run_date < :run_date
