DELETE FROM leads WHERE lead_id IN :values
