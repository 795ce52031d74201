-- Activity and outcome rows that failed row-level validation, kept with the failure.
CREATE TABLE IF NOT EXISTS quarantined_rows (
    run_date        DATE NOT NULL,
    file            TEXT NOT NULL,          -- activities | outcomes
    row_number      BIGINT NOT NULL,
    reasons         TEXT NOT NULL,
    raw             TEXT NOT NULL,
    PRIMARY KEY (run_date, file, row_number)
);
