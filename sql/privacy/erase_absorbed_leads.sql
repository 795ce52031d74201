-- Lead-to-lead merges: each absorbed lead and the lead that absorbed it (a person found through an
-- absorbed lead's history is the survivor's, and erasing them erases both). Erasures are rare.
SELECT DISTINCT from_lead_id, to_lead_id FROM lead_moves
