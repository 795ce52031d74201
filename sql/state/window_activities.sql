-- The countable activities (attributed to a lead, not a bot's) of each lead (lookup_values: lead_id)
-- loaded on the run dates of an engagement window before the run date: a window decay sums them
-- (with their source record: a re-run reads them as they were before later lead-to-lead merges).
SELECT a.lead_id, a.run_date, a.activity_type, a.asset, a.campaign, a.value, a.source_system, a.source_lead_id
FROM lookup_values AS v
CROSS JOIN activities AS a
WHERE a.lead_id = v.lead_id
  AND a.bot_reason IS NULL
  AND a.run_date > :window_start
  AND a.run_date < :run_date
