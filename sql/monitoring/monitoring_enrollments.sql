-- Nurture enrollments by segment: entered on the run date, and open at its end.
SELECT segment,
       SUM(CASE WHEN entered_run_date = :run_date THEN 1 ELSE 0 END) AS enrolled,
       SUM(CASE WHEN exited_run_date IS NULL THEN 1 ELSE 0 END) AS open
FROM nurture_enrollments
WHERE entered_run_date <= :run_date
GROUP BY segment
ORDER BY segment
