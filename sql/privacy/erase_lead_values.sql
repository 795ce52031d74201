-- What a lead was known by, in every version of its profile (the person's emails, phones, names).
SELECT email_key, phone_e164, first_name, last_name FROM leads WHERE lead_id = :lead_id
UNION
SELECT email_key, phone_e164, first_name, last_name FROM lead_history WHERE lead_id = :lead_id
