-- Countable activities (attributed to a lead, not a bot's) loaded by the as-of date.
SELECT a.lead_id, a.run_date, a.activity_type, a.asset, a.campaign, a.value
FROM activities AS a
WHERE a.lead_id IS NOT NULL AND a.bot_reason IS NULL AND a.run_date <= :as_of
