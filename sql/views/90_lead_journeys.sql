-- Views for the data team (read them like any table; a new warehouse and every `mql upgrade` create them).
-- Written in the SQL that SQLite and PostgreSQL share, so the same file serves both: views are
-- dropped and created (dependents first), and times are compared through their ISO text.

DROP VIEW IF EXISTS funnel_metrics;
DROP VIEW IF EXISTS lead_funnel_facts;
DROP VIEW IF EXISTS lead_journeys;

-- One row per golden lead: its cohort (first run date), lead source, campaign, first nurture
-- segment, when it first reached each lifecycle stage (as itself or as a lead it absorbed), and
-- the hours it took.
CREATE VIEW lead_journeys AS
WITH merged_into AS (
    -- Leads that lead-to-lead merges absorbed, and the lead holding their records now (after
    -- every later merge too): their lifecycle events stay under their own id, and count for it.
    SELECT DISTINCT m.from_lead_id, i.lead_id
    FROM lead_moves AS m
    JOIN lead_identities AS i ON i.source_system = m.source_system AND i.source_lead_id = m.source_lead_id
),
milestones AS (
    SELECT COALESCE(g.lead_id, e.lead_id) AS lead_id,
           MIN(CASE WHEN e.to_stage = 'mql' THEN e.occurred_at END)            AS mql_at,
           MIN(CASE WHEN e.to_stage = 'sales_accepted' THEN e.occurred_at END) AS sales_accepted_at,
           MIN(CASE WHEN e.to_stage = 'sql' THEN e.occurred_at END)            AS sql_at,
           MIN(CASE WHEN e.to_stage = 'customer' THEN e.occurred_at END)       AS won_at
    FROM mql_events AS e
    LEFT JOIN merged_into AS g ON g.from_lead_id = e.lead_id
    GROUP BY COALESCE(g.lead_id, e.lead_id)
),
-- When the source system first flagged the lead an MQL itself (its own lifecycle status).
source_mql AS (
    SELECT lead_id, MIN(occurred_at) AS source_mql_at
    FROM source_lifecycle
    WHERE status = 'mql' AND lead_id IS NOT NULL
    GROUP BY lead_id
),
first_segment AS (
    SELECT e.lead_id, MIN(e.segment) AS segment
    FROM nurture_enrollments AS e
    WHERE e.entered_at = (SELECT MIN(f.entered_at) FROM nurture_enrollments AS f WHERE f.lead_id = e.lead_id)
    GROUP BY e.lead_id
),
stamps AS (
    -- Each milestone's time, and as ISO text 'YYYY-MM-DD?HH:MM:SS...' in both databases
    -- (PostgreSQL renders it in the session time zone, which is the same for both ends of a
    -- duration). The final select reads milestones from here, joined by lead once: a CTE that is
    -- read more than once is never indexed by SQLite, so joining it directly is a scan per lead.
    SELECT lead_id, 'created' AS milestone, created_at AS at FROM leads
    UNION ALL
    SELECT lead_id, 'mql', mql_at FROM milestones WHERE mql_at IS NOT NULL
    UNION ALL
    SELECT lead_id, 'sales_accepted', sales_accepted_at FROM milestones WHERE sales_accepted_at IS NOT NULL
    UNION ALL
    SELECT lead_id, 'sql', sql_at FROM milestones WHERE sql_at IS NOT NULL
    UNION ALL
    SELECT lead_id, 'won', won_at FROM milestones WHERE won_at IS NOT NULL
),
parts AS (
    SELECT lead_id, milestone, at, CAST(at AS TEXT) AS t
    FROM stamps
),
fields AS (
    SELECT lead_id, milestone, at,
           CAST(SUBSTR(t, 1, 4) AS INTEGER)
               - CASE WHEN CAST(SUBSTR(t, 6, 2) AS INTEGER) <= 2 THEN 1 ELSE 0 END AS y,
           CAST(SUBSTR(t, 6, 2) AS INTEGER) AS m,
           CAST(SUBSTR(t, 9, 2) AS INTEGER) AS d,
           CAST(SUBSTR(t, 12, 2) AS INTEGER) AS hh,
           CAST(SUBSTR(t, 15, 2) AS INTEGER) AS mi,
           CAST(SUBSTR(t, 18, 2) AS INTEGER) AS ss
    FROM parts
),
hours AS (
    -- Hours since a fixed epoch: the civil-calendar day number (years starting in March), * 24.
    SELECT lead_id, milestone, at,
           (365 * y + y / 4 - y / 100 + y / 400 + (153 * ((m + 9) - 12 * ((m + 9) / 12)) + 2) / 5 + d) * 24.0
               + hh + mi / 60.0 + ss / 3600.0 AS h
    FROM fields
),
journey AS (
    SELECT lead_id,
           MAX(CASE WHEN milestone = 'mql' THEN at END)            AS mql_at,
           MAX(CASE WHEN milestone = 'sales_accepted' THEN at END) AS sales_accepted_at,
           MAX(CASE WHEN milestone = 'sql' THEN at END)            AS sql_at,
           MAX(CASE WHEN milestone = 'won' THEN at END)            AS won_at,
           MAX(CASE WHEN milestone = 'created' THEN h END)        AS created_h,
           MAX(CASE WHEN milestone = 'mql' THEN h END)            AS mql_h,
           MAX(CASE WHEN milestone = 'sales_accepted' THEN h END) AS sales_accepted_h
    FROM hours
    GROUP BY lead_id
)
SELECT l.lead_id,
       l.first_run_date                  AS cohort_date,
       COALESCE(l.lead_source, '(none)') AS lead_source,
       COALESCE(l.campaign, '(none)')    AS campaign,
       COALESCE(s.segment, '(none)')     AS segment,
       l.lifecycle_stage,
       l.created_at,
       m.mql_at,
       m.sales_accepted_at,
       m.sql_at,
       m.won_at,
       -- MQL only if the lead became one: sales may accept or win a lead marketing never qualified.
       CASE WHEN m.mql_at IS NOT NULL THEN 1 ELSE 0 END
                                         AS reached_mql,
       -- Sales stages reached, counting a later stage as having passed the earlier ones.
       CASE WHEN COALESCE(m.sales_accepted_at, m.sql_at, m.won_at) IS NOT NULL THEN 1 ELSE 0 END
                                         AS reached_sales_accepted,
       CASE WHEN COALESCE(m.sql_at, m.won_at) IS NOT NULL THEN 1 ELSE 0 END
                                         AS reached_sql,
       CASE WHEN m.won_at IS NOT NULL THEN 1 ELSE 0 END
                                         AS reached_won,
       CASE WHEN m.won_at IS NOT NULL AND m.mql_at IS NOT NULL AND m.mql_at <= m.won_at THEN 1 ELSE 0 END
                                         AS won_via_mql,
       CASE WHEN m.won_at IS NOT NULL AND (m.mql_at IS NULL OR m.mql_at > m.won_at) THEN 1 ELSE 0 END
                                         AS won_without_mql,
       -- The source system's own MQL flag beside this product's decision.
       o.source_mql_at,
       CASE WHEN o.source_mql_at IS NOT NULL THEN 1 ELSE 0 END
                                         AS source_flagged_mql,
       CASE WHEN o.source_mql_at IS NOT NULL AND m.mql_at IS NOT NULL THEN 1 ELSE 0 END
                                         AS mql_both,
       CASE WHEN o.source_mql_at IS NOT NULL AND m.mql_at IS NULL THEN 1 ELSE 0 END
                                         AS mql_source_only,
       CASE WHEN o.source_mql_at IS NULL AND m.mql_at IS NOT NULL THEN 1 ELSE 0 END
                                         AS mql_product_only,
       m.mql_h - m.created_h             AS hours_to_mql,
       m.sales_accepted_h - m.mql_h      AS hours_mql_to_sales_accepted
FROM leads AS l
LEFT JOIN journey AS m ON m.lead_id = l.lead_id
LEFT JOIN source_mql AS o ON o.lead_id = l.lead_id
LEFT JOIN first_segment AS s ON s.lead_id = l.lead_id;
