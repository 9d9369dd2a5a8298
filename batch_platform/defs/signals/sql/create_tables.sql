-- Every table of the warehouse. Applied on every connection; each statement is idempotent.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS clean;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE SCHEMA IF NOT EXISTS scores;
CREATE SCHEMA IF NOT EXISTS reports;

-- One row per landed signal file (key: partition_key).
CREATE TABLE IF NOT EXISTS raw.signal_files (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_format VARCHAR,
    size_bytes BIGINT,
    modified_at TIMESTAMP,
    data_rows BIGINT,
    status VARCHAR NOT NULL  -- 'loaded' or 'quarantined'
);

-- Every data row of every file, as text (key: source_file, source_line).
CREATE TABLE IF NOT EXISTS raw.signals (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    event_id VARCHAR,
    occurred_at VARCHAR,
    source VARCHAR,
    event_type VARCHAR,
    email VARCHAR,
    account_domain VARCHAR,
    properties VARCHAR,
    extra_columns VARCHAR,  -- JSON object of columns outside the contract
    parse_error VARCHAR     -- set when the row itself could not be parsed
);

-- Files that could not be read at all (key: partition_key).
CREATE TABLE IF NOT EXISTS quarantine.signal_files (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    size_bytes BIGINT,
    modified_at TIMESTAMP,
    reason VARCHAR NOT NULL
);

-- Latest firmographics per domain (key: domain).
CREATE TABLE IF NOT EXISTS clean.firmographics (
    domain VARCHAR NOT NULL,
    company_name VARCHAR,
    industry VARCHAR,
    employee_count BIGINT,
    country VARCHAR,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL
);

-- Validated, normalised, de-duplicated, enriched signals (key: event_key).
CREATE TABLE IF NOT EXISTS clean.signals (
    event_key VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    event_id VARCHAR,
    occurred_at TIMESTAMP NOT NULL,  -- UTC
    source VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    original_event_type VARCHAR,
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    properties JSON,
    company_name VARCHAR,
    industry VARCHAR,
    employee_count BIGINT,
    country VARCHAR
);

-- Rows that repeat an event already kept (key: source_file, source_line).
CREATE TABLE IF NOT EXISTS clean.signal_duplicates (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    event_key VARCHAR NOT NULL,
    duplicate_of_file VARCHAR NOT NULL,
    duplicate_of_line BIGINT NOT NULL,
    scope VARCHAR NOT NULL  -- 'within_file' or 'across_files'
);

-- Rows that failed validation, with their original values (key: source_file, source_line).
CREATE TABLE IF NOT EXISTS quarantine.signal_rows (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    event_id VARCHAR,
    occurred_at VARCHAR,
    source VARCHAR,
    event_type VARCHAR,
    email VARCHAR,
    account_domain VARCHAR,
    properties VARCHAR,
    extra_columns VARCHAR
);

-- Page views rolled up into sessions of 30-minute inactivity (key: session_id).
CREATE TABLE IF NOT EXISTS clean.web_sessions (
    session_date DATE NOT NULL,
    session_id VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    page_views BIGINT NOT NULL,
    pricing_page_views BIGINT NOT NULL
);

-- Product usage per account per day (key: usage_date, account_domain).
CREATE TABLE IF NOT EXISTS clean.daily_account_usage (
    usage_date DATE NOT NULL,
    account_domain VARCHAR NOT NULL,
    product_events BIGINT NOT NULL,
    active_users BIGINT NOT NULL,
    logins BIGINT NOT NULL,
    features_used BIGINT NOT NULL
);

-- Lead scores per contact as of a day (key: as_of_date, email).
CREATE TABLE IF NOT EXISTS scores.lead_scores (
    as_of_date DATE NOT NULL,
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    behaviour_score DOUBLE NOT NULL,
    fit_score DOUBLE NOT NULL,
    score DOUBLE NOT NULL,
    previous_score DOUBLE,
    score_change DOUBLE,
    tier VARCHAR NOT NULL,
    is_mql BOOLEAN NOT NULL,
    events_in_lookback BIGINT NOT NULL,
    last_event_at TIMESTAMP
);

-- Account health per week (key: week_start, account_domain).
CREATE TABLE IF NOT EXISTS scores.account_health (
    week_start DATE NOT NULL,
    account_domain VARCHAR NOT NULL,
    usage_trend_score DOUBLE NOT NULL,
    engagement_score DOUBLE NOT NULL,
    crm_activity_score DOUBLE NOT NULL,
    recency_score DOUBLE NOT NULL,
    health_score DOUBLE NOT NULL,
    band VARCHAR NOT NULL,
    previous_health_score DOUBLE,
    days_since_last_event BIGINT
);

-- The daily pipeline report (key: report_date).
CREATE TABLE IF NOT EXISTS reports.daily_pipeline_report (
    report_date DATE NOT NULL,
    files_loaded BIGINT NOT NULL,
    files_quarantined BIGINT NOT NULL,
    rows_in BIGINT NOT NULL,
    rows_cleaned BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    contacts_scored BIGINT NOT NULL,
    mqls BIGINT NOT NULL,
    newest_event_at TIMESTAMP,
    data_delay_hours DOUBLE,
    report_markdown VARCHAR NOT NULL
);

-- Row accounting per file as reported on a day (key: report_date, source_file).
CREATE TABLE IF NOT EXISTS reports.file_accounting (
    report_date DATE NOT NULL,
    source_file VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    rows_in BIGINT NOT NULL,
    rows_cleaned BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL
);

-- Research activity per account and topic per month (key: month_start, account_domain, topic).
CREATE TABLE IF NOT EXISTS reports.monthly_intent (
    month_start DATE NOT NULL,
    account_domain VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    page_views BIGINT NOT NULL,
    contacts BIGINT NOT NULL,
    previous_page_views BIGINT NOT NULL,
    change_ratio DOUBLE,              -- page_views / previous_page_views (NULL when previous is 0)
    trend VARCHAR NOT NULL            -- 'rising', 'new', 'steady' or 'falling'
);
