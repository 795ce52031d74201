SELECT source_system, source_lead_id, disposition, reasons FROM rejected_leads
