-- Leads that earlier runs scheduled for a look on or before the run date, because decay alone may
-- move them across an MQL threshold; only their latest row before the run date counts. A lead
-- retired before the run date (lead_retirements) is not looked at.
SELECT h.lead_id
FROM lead_history AS h
WHERE h.review_on <= :run_date
  AND h.review_on > :previous_run_date
  AND h.run_date < :run_date
  AND NOT EXISTS (
      SELECT 1 FROM lead_history AS later
      WHERE later.lead_id = h.lead_id AND later.run_date > h.run_date AND later.run_date < :run_date
  )
  AND NOT EXISTS (
      SELECT 1 FROM lead_retirements AS r
      WHERE r.lead_id = h.lead_id AND r.action = 'retired'
        AND r.run_date = (SELECT max(p.run_date) FROM lead_retirements AS p
                          WHERE p.lead_id = h.lead_id AND p.run_date < :run_date)
  )
