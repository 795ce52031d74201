-- The leads among lookup_values (lead_id) retired at the end of the day before the run date: their
-- latest lead_retirements row before it retired them.
SELECT r.lead_id
FROM lookup_values AS v
CROSS JOIN lead_retirements AS r
WHERE r.lead_id = v.lead_id
  AND r.action = 'retired'
  AND r.run_date = (SELECT max(p.run_date) FROM lead_retirements AS p
                    WHERE p.lead_id = r.lead_id AND p.run_date < :run_date)
GROUP BY r.lead_id
