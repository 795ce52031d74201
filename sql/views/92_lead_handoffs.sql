-- The hand-offs with what a CRM needs to find the lead: its first source record, email and name.
-- `mql export` writes a date's rows of this view; read it like any table.
DROP VIEW IF EXISTS lead_handoffs;

CREATE VIEW lead_handoffs AS
SELECT h.run_date, h.lead_id,
       (SELECT i.source_system FROM lead_identities AS i WHERE i.lead_id = h.lead_id
        ORDER BY i.run_date, i.source_system, i.source_lead_id LIMIT 1) AS source_system,
       (SELECT i.source_lead_id FROM lead_identities AS i WHERE i.lead_id = h.lead_id
        ORDER BY i.run_date, i.source_system, i.source_lead_id LIMIT 1) AS source_lead_id,
       l.email, l.first_name, l.last_name, l.company, l.job_title, l.country,
       h.from_stage, h.to_stage, h.new_mql, h.changed_at, h.cause,
       h.fit_score, h.engagement_score, h.total_score, h.grade, h.segment, h.reasons, h.model_version,
       h.matrix_cell
FROM handoffs AS h
LEFT JOIN leads AS l ON l.lead_id = h.lead_id;
