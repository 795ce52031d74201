-- The activities of a lead (engagement windows, lead-to-lead merges, erasure): looked up by lead.
CREATE INDEX IF NOT EXISTS activities_lead ON activities (lead_id, occurred_at);
