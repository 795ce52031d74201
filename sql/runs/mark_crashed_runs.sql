-- Runs still `running` when a run takes the lock: their process died (the lock was free).
UPDATE runs SET status = 'crashed', ended_at = :found_at, error = :error WHERE status = 'running'
