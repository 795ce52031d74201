-- Each lead's row as of the end of the day before the run date.
SELECT h.*
FROM lead_history AS h
WHERE h.lead_id IN :values
  AND h.run_date = (
      SELECT max(p.run_date) FROM lead_history AS p
      WHERE p.lead_id = h.lead_id AND p.run_date < :run_date
  )
