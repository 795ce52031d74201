-- Erase a lead: its profile's personal fields are emptied in every version, its identities,
-- match keys, links and event rows are removed, and what stays (scores, contributions, lifecycle
-- events, enrollments, the emptied profile) is moved to an anonymous id no source record derives.
UPDATE leads
SET email = NULL, email_key = NULL, first_name = NULL, last_name = NULL, phone = NULL, phone_e164 = NULL,
    company = NULL, job_title = NULL, city = NULL, custom_attributes = '{}', lead_id = :anonymous_id
WHERE lead_id = :lead_id;
UPDATE lead_history
SET email = NULL, email_key = NULL, first_name = NULL, last_name = NULL, phone = NULL, phone_e164 = NULL,
    company = NULL, job_title = NULL, city = NULL, custom_attributes = '{}', lead_id = :anonymous_id
WHERE lead_id = :lead_id;
UPDATE lead_scores SET lead_id = :anonymous_id WHERE lead_id = :lead_id;
UPDATE mql_events SET lead_id = :anonymous_id, detail = NULL WHERE lead_id = :lead_id;
UPDATE handoffs SET lead_id = :anonymous_id WHERE lead_id = :lead_id;
UPDATE nurture_enrollments SET lead_id = :anonymous_id WHERE lead_id = :lead_id;
DELETE FROM lead_identities WHERE lead_id = :lead_id;
DELETE FROM lead_match_keys WHERE lead_id = :lead_id;
DELETE FROM lead_merges WHERE lead_id = :lead_id OR matched_lead_id = :lead_id;
DELETE FROM lead_splits WHERE lead_id = :lead_id;
DELETE FROM activities WHERE lead_id = :lead_id;
DELETE FROM sales_outcomes WHERE lead_id = :lead_id;
DELETE FROM source_lifecycle WHERE lead_id = :lead_id;
DELETE FROM lead_retirements WHERE lead_id = :lead_id;
DELETE FROM lead_moves WHERE from_lead_id = :lead_id OR to_lead_id = :lead_id;
