-- The leads a person asking for erasure is: by normalised email, by E.164 phone, or by lead id
-- (unused parameters are NULL and match nothing). Scans: erasures are rare.
SELECT lead_id FROM leads WHERE email_key = :email OR phone_e164 = :phone OR lead_id = :lead_id
UNION
SELECT lead_id FROM lead_history WHERE email_key = :email OR phone_e164 = :phone OR lead_id = :lead_id
UNION
SELECT lead_id FROM lead_identities WHERE match_email = :email OR phone_e164 = :phone
