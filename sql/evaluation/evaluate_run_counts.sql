SELECT run_id, stage, metric, value FROM run_counts WHERE run_id IN :values
