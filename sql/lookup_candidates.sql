-- The source records of candidate leads (lookup_values: lead_id) with what they are matched
-- on, as known before the run date; in lead order, so a run numbers them the same way each time.
SELECT i.lead_id, i.source_system, i.source_lead_id, i.first_key, i.last_key, i.company_key, i.city_key,
       i.country_key, i.match_email, i.corporate_domain, i.phone_e164
FROM lookup_values AS v
CROSS JOIN lead_identities AS i
WHERE i.lead_id = v.lead_id
  AND i.run_date < :run_date
ORDER BY i.lead_id, i.source_system, i.source_lead_id
