-- Funnel metrics by day (lead cohort: first run date), lead source, campaign and segment.
-- Query e.g.: SELECT * FROM funnel_metrics WHERE dimension = 'lead_source' ORDER BY mqls DESC;

-- Each lead once per dimension it is counted under (the journeys read once, then fanned out).
CREATE VIEW lead_funnel_facts AS
SELECT k.dimension,
       CASE k.dimension WHEN 'day' THEN CAST(j.cohort_date AS TEXT) WHEN 'lead_source' THEN j.lead_source
                        WHEN 'campaign' THEN j.campaign ELSE j.segment END AS value,
       j.*
FROM lead_journeys AS j
CROSS JOIN (SELECT 'day' AS dimension UNION ALL SELECT 'lead_source' UNION ALL SELECT 'campaign'
            UNION ALL SELECT 'segment') AS k;

-- leads: golden leads of the group; rejects: lead rows rejected as junk on the day (by day only:
-- a rejected row keeps its lead source and campaign only inside its raw JSON); mqls: leads that
-- became MQLs; sales_accepted, sqls, won: leads that reached the stage (or a later one), MQL or
-- not; won_via_mql / won_without_mql: won after becoming an MQL / never an MQL before the win;
-- won_rate: won / leads; rates from MQL count only leads that were MQLs; medians: hours from
-- creation to MQL, and from MQL to sales acceptance. The source system's own MQL flag (outcome
-- status `mql`, table source_lifecycle) beside this product's: source_mqls flagged by the source,
-- mqls_both flagged by both, mqls_source_only / mqls_product_only by one of them only;
-- source_mql_to_won_rate: won among the leads the source flagged (won at any time).
CREATE VIEW funnel_metrics AS
WITH facts AS MATERIALIZED (
    -- Built once for the three readings below (else each would build every lead's journey again).
    SELECT * FROM lead_funnel_facts
),
counts AS (
    SELECT dimension, value,
           COUNT(*)                    AS leads,
           SUM(reached_mql)            AS mqls,
           SUM(reached_sales_accepted) AS sales_accepted,
           SUM(reached_sql)            AS sqls,
           SUM(reached_won)            AS won,
           SUM(won_via_mql)            AS won_via_mql,
           SUM(won_without_mql)        AS won_without_mql,
           SUM(reached_mql * reached_sales_accepted) AS mql_sales_accepted,
           SUM(source_flagged_mql)     AS source_mqls,
           SUM(mql_both)               AS mqls_both,
           SUM(mql_source_only)        AS mqls_source_only,
           SUM(mql_product_only)       AS mqls_product_only,
           SUM(source_flagged_mql * reached_won) AS source_mqls_won
    FROM facts
    GROUP BY dimension, value
),
rejects AS (
    SELECT 'day' AS dimension, CAST(run_date AS TEXT) AS value, COUNT(*) AS rejects
    FROM rejected_leads
    WHERE disposition = 'rejected'
    GROUP BY run_date
),
to_mql AS (
    SELECT dimension, value, hours_to_mql AS hours,
           ROW_NUMBER() OVER (PARTITION BY dimension, value ORDER BY hours_to_mql) AS rn,
           COUNT(*) OVER (PARTITION BY dimension, value) AS n
    FROM facts
    WHERE hours_to_mql IS NOT NULL
),
to_sales_accepted AS (
    SELECT dimension, value, hours_mql_to_sales_accepted AS hours,
           ROW_NUMBER() OVER (PARTITION BY dimension, value ORDER BY hours_mql_to_sales_accepted) AS rn,
           COUNT(*) OVER (PARTITION BY dimension, value) AS n
    FROM facts
    WHERE hours_mql_to_sales_accepted IS NOT NULL
),
-- The median: the middle row, or the mean of the two middle rows.
median_to_mql AS (
    SELECT dimension, value, AVG(hours) AS hours FROM to_mql
    WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY dimension, value
),
median_to_sales_accepted AS (
    SELECT dimension, value, AVG(hours) AS hours FROM to_sales_accepted
    WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY dimension, value
)
SELECT c.dimension,
       c.value,
       c.leads,
       r.rejects,
       c.mqls,
       CAST(c.mqls AS DOUBLE PRECISION) / c.leads AS mql_rate,
       c.sales_accepted,
       c.sqls,
       c.won,
       c.won_via_mql,
       c.won_without_mql,
       CAST(c.won AS DOUBLE PRECISION) / c.leads AS won_rate,
       CASE WHEN c.mqls > 0 THEN CAST(c.mql_sales_accepted AS DOUBLE PRECISION) / c.mqls END
                                                 AS mql_to_sales_accepted_rate,
       CASE WHEN c.sales_accepted > 0 THEN CAST(c.sqls AS DOUBLE PRECISION) / c.sales_accepted END
                                                 AS sales_accepted_to_sql_rate,
       CASE WHEN c.sqls > 0 THEN CAST(c.won AS DOUBLE PRECISION) / c.sqls END
                                                 AS sql_to_won_rate,
       CASE WHEN c.mqls > 0 THEN CAST(c.won_via_mql AS DOUBLE PRECISION) / c.mqls END
                                                 AS mql_to_won_rate,
       c.source_mqls,
       c.mqls_both,
       c.mqls_source_only,
       c.mqls_product_only,
       CASE WHEN c.source_mqls > 0 THEN CAST(c.source_mqls_won AS DOUBLE PRECISION) / c.source_mqls END
                                                 AS source_mql_to_won_rate,
       m.hours                                   AS median_hours_to_mql,
       s.hours                                   AS median_hours_mql_to_sales_accepted
FROM counts AS c
LEFT JOIN rejects AS r ON r.dimension = c.dimension AND r.value = c.value
LEFT JOIN median_to_mql AS m ON m.dimension = c.dimension AND m.value = c.value
LEFT JOIN median_to_sales_accepted AS s ON s.dimension = c.dimension AND s.value = c.value;
