SELECT source_system, source_lead_id, disposition FROM rejected_leads
