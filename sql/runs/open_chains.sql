-- Re-run chains neither committed nor rolled back: their process died.
SELECT chain_id, from_date, through_date, started_at, started_by FROM run_chains WHERE status = 'open'
