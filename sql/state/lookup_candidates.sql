-- The source records of candidate leads (lookup_values: lead_id, in order) with what they are
-- matched on, as known before the run date. Not sorted here: SQLite returns them in the order
-- of lookup_values and of the lead_identities_lead index; dedupe puts any other order right.
-- run_date: when the record was first seen (of two leads a record bridges, the older survives).
SELECT i.lead_id, i.source_system, i.source_lead_id, i.run_date, i.first_key, i.last_key, i.company_key, i.city_key,
       i.country_key, i.match_email, i.corporate_domain, i.phone_e164, i.match_extra
FROM lookup_values AS v
CROSS JOIN lead_identities AS i
WHERE i.lead_id = v.lead_id
  AND i.run_date < :run_date
