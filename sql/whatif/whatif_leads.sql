-- What a what-if compares of each lead over :start to :end, read alike from the live warehouse and
-- from the replay: the leads that arrived in the range (their cohort) and those that became MQLs in
-- it, with their lead source and first run date as the end of the range left them, their first
-- nurture segment by then (as lead_journeys has it) and the first date they became an MQL in the
-- range.
WITH range_mqls AS (
    SELECT lead_id, MIN(run_date) AS mql_date
    FROM mql_events
    WHERE to_stage = 'mql' AND run_date >= :start AND run_date <= :end
    GROUP BY lead_id
),
first_segment AS (
    SELECT e.lead_id, MIN(e.segment) AS segment
    FROM nurture_enrollments AS e
    WHERE e.entered_run_date <= :end
      AND e.entered_at = (SELECT MIN(f.entered_at) FROM nurture_enrollments AS f
                          WHERE f.lead_id = e.lead_id AND f.entered_run_date <= :end)
    GROUP BY e.lead_id
),
at_end AS (
    SELECT h.lead_id, h.first_run_date, h.lead_source
    FROM lead_history AS h
    WHERE h.run_date <= :end
      AND (h.first_run_date >= :start OR h.lead_id IN (SELECT lead_id FROM range_mqls))
      AND h.run_date = (SELECT MAX(p.run_date) FROM lead_history AS p
                        WHERE p.lead_id = h.lead_id AND p.run_date <= :end)
)
SELECT l.lead_id,
       l.first_run_date                  AS cohort_date,
       COALESCE(l.lead_source, '(none)') AS lead_source,
       COALESCE(s.segment, '(none)')     AS segment,
       m.mql_date
FROM at_end AS l
LEFT JOIN range_mqls AS m ON m.lead_id = l.lead_id
LEFT JOIN first_segment AS s ON s.lead_id = l.lead_id
WHERE (l.first_run_date >= :start AND l.first_run_date <= :end) OR m.mql_date IS NOT NULL
