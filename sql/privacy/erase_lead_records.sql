-- The source records of a lead, with the email and phone each was matched on.
SELECT source_system, source_lead_id, match_email, phone_e164 FROM lead_identities WHERE lead_id = :lead_id
UNION
SELECT source_system, source_lead_id, NULL, NULL FROM lead_merges WHERE lead_id = :lead_id
