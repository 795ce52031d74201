INSERT INTO lead_splits (source_system, source_lead_id, other_source_system, other_source_lead_id, lead_id,
                         split_at, requested_by, reason)
SELECT :source_system, :source_lead_id, :other_source_system, :other_source_lead_id, :lead_id,
       :split_at, :requested_by, :reason
WHERE NOT EXISTS (
    SELECT 1 FROM lead_splits
    WHERE source_system = :source_system AND source_lead_id = :source_lead_id
      AND other_source_system = :other_source_system AND other_source_lead_id = :other_source_lead_id
)
