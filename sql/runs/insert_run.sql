INSERT INTO runs (run_id, run_date, status, parameters, started_at, code_version, model_version)
VALUES (:run_id, :run_date, 'running', :parameters, :started_at, :code_version, :model_version)
