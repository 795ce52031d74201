SELECT run_id, run_date, status, data_docs_path, report_path FROM runs WHERE run_id = :run_id
