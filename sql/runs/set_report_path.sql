UPDATE runs SET report_path = :report_path WHERE run_id = :run_id
