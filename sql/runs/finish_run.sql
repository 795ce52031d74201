UPDATE runs SET status = :status, ended_at = :ended_at, error = :error
WHERE run_id = :run_id
