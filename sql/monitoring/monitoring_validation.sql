-- The expectations a run evaluated, failures first.
SELECT suite, expectation, column_name, severity, success, unexpected_count
FROM validation_results
WHERE run_id = :run_id
ORDER BY success, suite, expectation, column_name
