-- Every record of the lead base with what it is matched on: what `mql identity train` learns from.
SELECT first_key, last_key, company_key, city_key, country_key, match_email, corporate_domain, phone_e164,
       match_extra
FROM lead_identities
