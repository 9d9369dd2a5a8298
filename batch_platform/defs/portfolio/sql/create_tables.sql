-- The portfolio health check: one monthly sweep over the firm's trademark registrations.
-- `month` is the first day of the sweep's month (the monthly partition); dates are normalised.
CREATE SCHEMA IF NOT EXISTS portfolio;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE SCHEMA IF NOT EXISTS reports;

-- The firm's own records, validated and normalised, as of the sweep (key: month, registration_id).
CREATE TABLE IF NOT EXISTS portfolio.firm_records (
    month DATE NOT NULL,
    registration_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    mark VARCHAR,
    owner VARCHAR,
    status VARCHAR NOT NULL,           -- canonical status
    filing_date DATE,
    registration_date DATE,
    next_renewal_date DATE,
    classes INTEGER[],
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    client VARCHAR                     -- the firm's client ('(none)' when the records name none)
);

-- Firm-record rows that could not be used, with every reason (key: month, source_file, source_line).
CREATE TABLE IF NOT EXISTS quarantine.portfolio_firm_rows (
    month DATE NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    registration_id VARCHAR,
    jurisdiction VARCHAR,
    mark VARCHAR,
    owner VARCHAR,
    status VARCHAR,
    filing_date VARCHAR,
    registration_date VARCHAR,
    next_renewal_date VARCHAR,
    classes VARCHAR,
    reason VARCHAR NOT NULL,
    client VARCHAR                     -- as written, if the file has the column
);

-- The month's office data per firm registration, with its terminal fetch state
-- (key: month, registration_id). Failed rows keep the error and are fetched again on a re-run.
CREATE TABLE IF NOT EXISTS portfolio.office_snapshot (
    month DATE NOT NULL,
    registration_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    fetch_state VARCHAR NOT NULL,      -- 'succeeded' or 'failed'
    attempts INTEGER NOT NULL,         -- HTTP attempts (1 for a snapshot file)
    error VARCHAR,
    retryable BOOLEAN NOT NULL,
    source VARCHAR NOT NULL,           -- 'api' or the snapshot file name
    source_line BIGINT,
    fetched_at TIMESTAMP NOT NULL,
    priority_rank INTEGER,             -- 1 = nearest renewal (fetched first)
    mark VARCHAR,
    owner VARCHAR,
    office_status VARCHAR,             -- as the office wrote it
    status VARCHAR,                    -- canonical
    filing_date DATE,
    registration_date DATE,
    next_renewal_date DATE,
    classes INTEGER[],
    as_of DATE
);

-- Per registration, the latest successful office observation before the month
-- (key: month, registration_id).
CREATE TABLE IF NOT EXISTS portfolio.baseline (
    month DATE NOT NULL,
    registration_id VARCHAR NOT NULL,
    observed_month DATE NOT NULL,
    status VARCHAR NOT NULL,
    owner VARCHAR,
    next_renewal_date DATE,
    as_of DATE
);

-- Office status differs from the baseline (key: month, registration_id).
CREATE TABLE IF NOT EXISTS portfolio.status_changes (
    month DATE NOT NULL,
    registration_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    mark VARCHAR,
    previous_status VARCHAR NOT NULL,
    current_status VARCHAR NOT NULL,
    office_status VARCHAR,
    baseline_month DATE NOT NULL,
    as_of DATE,
    client VARCHAR                     -- the firm's client ('(none)' when the records name none)
);

-- Registered marks whose next renewal is at most 90 days after the sweep date, overdue ones
-- included (key: month, registration_id).
CREATE TABLE IF NOT EXISTS portfolio.renewals_due (
    month DATE NOT NULL,
    registration_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    mark VARCHAR,
    owner VARCHAR,
    next_renewal_date DATE NOT NULL,
    days_until INTEGER NOT NULL,       -- negative when overdue
    date_source VARCHAR NOT NULL,      -- 'office' or 'firm_records' (office data missing)
    client VARCHAR                     -- the firm's client ('(none)' when the records name none)
);

-- Office data disagreeing with the firm's records (key: month, registration_id).
CREATE TABLE IF NOT EXISTS portfolio.mismatches (
    month DATE NOT NULL,
    registration_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    mark VARCHAR,
    differing_fields VARCHAR[] NOT NULL,
    firm_owner VARCHAR,
    office_owner VARCHAR,
    firm_status VARCHAR,
    office_status VARCHAR,
    firm_next_renewal_date DATE,
    office_next_renewal_date DATE,
    client VARCHAR                     -- the firm's client ('(none)' when the records name none)
);

-- One row per monthly health report (key: month).
CREATE TABLE IF NOT EXISTS reports.portfolio_health_report (
    month DATE NOT NULL,
    sweep_date DATE NOT NULL,
    registrations BIGINT NOT NULL,
    fetched BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    retried BIGINT NOT NULL,
    status_changes BIGINT NOT NULL,
    renewals_due BIGINT NOT NULL,
    mismatches BIGINT NOT NULL,
    quarantined_rows BIGINT NOT NULL,
    summary VARCHAR NOT NULL,
    report_path VARCHAR NOT NULL
);

-- Warehouses made before firm records could name a client get the column (a no-op after).
ALTER TABLE portfolio.firm_records ADD COLUMN IF NOT EXISTS client VARCHAR;
ALTER TABLE quarantine.portfolio_firm_rows ADD COLUMN IF NOT EXISTS client VARCHAR;
ALTER TABLE portfolio.status_changes ADD COLUMN IF NOT EXISTS client VARCHAR;
ALTER TABLE portfolio.renewals_due ADD COLUMN IF NOT EXISTS client VARCHAR;
ALTER TABLE portfolio.mismatches ADD COLUMN IF NOT EXISTS client VARCHAR;
