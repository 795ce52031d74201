-- Leads holding a malformed address kept aside as the custom attribute `invalid_email` (screening
-- keeps such a lead without an email): their custom attributes, in every version of the profile;
-- the address is compared in Python. Scans: erasures are rare.
SELECT lead_id, custom_attributes FROM leads WHERE custom_attributes LIKE '%"invalid_email"%'
UNION
SELECT lead_id, custom_attributes FROM lead_history WHERE custom_attributes LIKE '%"invalid_email"%'
