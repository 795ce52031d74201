-- Remove one source record of an erased person from every table that names it.
DELETE FROM lead_identities WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM lead_merges
WHERE (source_lead_id = :source_lead_id AND source_system = :source_system)
   OR (matched_source_lead_id = :source_lead_id AND matched_source_system = :source_system);
DELETE FROM lead_splits
WHERE (source_lead_id = :source_lead_id AND source_system = :source_system)
   OR (other_source_lead_id = :source_lead_id AND other_source_system = :source_system);
DELETE FROM lead_releases WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM activities WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM sales_outcomes WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM source_lifecycle WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
UPDATE rejected_leads SET source_system = NULL, source_lead_id = NULL, raw = '{}'
WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM source_record_states WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM lead_retirements WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
DELETE FROM lead_moves WHERE source_lead_id = :source_lead_id AND source_system = :source_system;
