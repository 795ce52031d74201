UPDATE runs SET data_docs_path = :data_docs_path WHERE run_id = :run_id
