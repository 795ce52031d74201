-- A run date's hand-offs as `mql export` writes them (view lead_handoffs), in lead order.
SELECT * FROM lead_handoffs WHERE run_date = :run_date ORDER BY lead_id
