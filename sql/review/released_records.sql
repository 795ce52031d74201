-- Released source records among the day's lead rows (:values are source_lead_ids).
SELECT source_system, source_lead_id
FROM lead_releases
WHERE source_lead_id IN :values
