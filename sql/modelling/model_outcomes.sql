-- Sales outcomes attributed to a lead, with the run date that loaded them, by the as-of date.
SELECT o.lead_id, o.run_date, o.status
FROM sales_outcomes AS o
WHERE o.lead_id IS NOT NULL AND o.run_date <= :as_of
