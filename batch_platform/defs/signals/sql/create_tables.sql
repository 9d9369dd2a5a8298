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

-- A stable integer per signal-file partition (key: partition_key), given in landing order: the
-- big tables carry it beside partition_key so that a file's rows are found by the lake's min/max
-- statistics of partition_id (each data file holds one partition, or a run's consecutive ones).
CREATE TABLE IF NOT EXISTS raw.signal_partitions (
    partition_key VARCHAR NOT NULL,
    partition_id BIGINT NOT NULL
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
    parse_error VARCHAR,    -- set when the row itself could not be parsed
    partition_id BIGINT               -- raw.signal_partitions' id of partition_key
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
    source VARCHAR NOT NULL,          -- a known source, or 'unmapped' (the original in source_raw)
    source_raw VARCHAR,               -- the source as the file wrote it
    event_type VARCHAR NOT NULL,      -- a canonical type, or 'unmapped' (scores 0)
    event_type_raw VARCHAR,           -- the event type as the file wrote it
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    properties JSON,
    company_name VARCHAR,
    industry VARCHAR,
    employee_count BIGINT,
    country VARCHAR,
    partition_id BIGINT,              -- raw.signal_partitions' id of partition_key
    event_hash BIGINT                 -- event_key's first 15 hex digits (60 bits) as a number
);

-- Warehouses made before the reference data was users' own get its columns (a no-op after).
ALTER TABLE clean.signals ADD COLUMN IF NOT EXISTS source_raw VARCHAR;
ALTER TABLE clean.signals ADD COLUMN IF NOT EXISTS event_type_raw VARCHAR;

-- Rows that repeat an event already kept (key: source_file, source_line).
CREATE TABLE IF NOT EXISTS clean.signal_duplicates (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    event_key VARCHAR NOT NULL,
    duplicate_of_file VARCHAR NOT NULL,
    duplicate_of_line BIGINT NOT NULL,
    scope VARCHAR NOT NULL, -- 'within_file' or 'across_files'
    partition_id BIGINT               -- raw.signal_partitions' id of partition_key
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
    extra_columns VARCHAR,
    partition_id BIGINT               -- raw.signal_partitions' id of partition_key
);

-- Warehouses made before partition ids get the columns; their rows are given ids the first time
-- a signal file is loaded or cleaned (logic/signal_partitions.py), a no-op after.
ALTER TABLE raw.signals ADD COLUMN IF NOT EXISTS partition_id BIGINT;
ALTER TABLE clean.signals ADD COLUMN IF NOT EXISTS partition_id BIGINT;
ALTER TABLE clean.signals ADD COLUMN IF NOT EXISTS event_hash BIGINT;
ALTER TABLE clean.signal_duplicates ADD COLUMN IF NOT EXISTS partition_id BIGINT;
ALTER TABLE quarantine.signal_rows ADD COLUMN IF NOT EXISTS partition_id BIGINT;

-- One row per landed intent-provider file (key: partition_key).
CREATE TABLE IF NOT EXISTS raw.intent_files (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    size_bytes BIGINT,
    modified_at TIMESTAMP,
    data_rows BIGINT NOT NULL,
    status VARCHAR NOT NULL,          -- 'loaded' or 'quarantined' (the whole file)
    reason VARCHAR                    -- why a file was quarantined whole
);

-- Third-party intent: a provider's score per account, topic and day (key: account_domain,
-- topic, signal_date; first seen wins).
CREATE TABLE IF NOT EXISTS clean.intent_signals (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    account_domain VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,           -- lower-cased, single spaces
    topic_raw VARCHAR,                -- as the provider wrote it
    score DOUBLE NOT NULL,            -- 0-100
    signal_date DATE NOT NULL
);

-- Intent rows repeating a score already kept (key: source_file, source_line).
CREATE TABLE IF NOT EXISTS clean.intent_signal_duplicates (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    duplicate_of_file VARCHAR NOT NULL,
    duplicate_of_line BIGINT NOT NULL
);

-- Intent rows that failed validation, as written, with the reason (key: source_file,
-- source_line).
CREATE TABLE IF NOT EXISTS quarantine.intent_rows (
    partition_key VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    account_domain VARCHAR,
    topic VARCHAR,
    score VARCHAR,
    signal_date VARCHAR
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
    last_event_at TIMESTAMP,
    rule_score DOUBLE,                -- the rules' score (what score is when the rules run)
    conversion_probability DOUBLE,    -- the approved model's, when it scored the contact
    score_model_version VARCHAR,      -- the model behind score, or 'rules'
    score_reasons JSON                -- the three parts that raised it most: [{contribution, feature}]
);

-- Lead-score models, one row per training, used or not (key: model_version). A model is used
-- from trained_as_of on when approved: it beat the rules on the holdout by the margin and rests
-- on enough outcomes; decision says why or why not.
CREATE TABLE IF NOT EXISTS scores.lead_score_models (
    model_version VARCHAR NOT NULL,
    trained_at TIMESTAMP NOT NULL,    -- UTC
    trained_as_of DATE NOT NULL,      -- the last day of history it saw
    algorithm VARCHAR,                -- 'logistic_regression'; NULL when too few outcomes to fit
    approved BOOLEAN NOT NULL,
    decision VARCHAR NOT NULL,
    train_first_date DATE,            -- scoring dates trained on (every interval_days)
    train_last_date DATE,
    holdout_first_date DATE,          -- the latest scoring dates, evaluated on
    holdout_last_date DATE,
    train_examples BIGINT NOT NULL,
    train_positives BIGINT NOT NULL,
    holdout_examples BIGINT NOT NULL,
    holdout_positives BIGINT NOT NULL,
    holdout_deals_lost BIGINT NOT NULL,
    holdout_won_amount DOUBLE NOT NULL,  -- properties.amount of the deals won, where given
    holdout_auc DOUBLE,
    rule_holdout_auc DOUBLE,          -- the rules' score on the same examples
    top_decile_lift DOUBLE,           -- conversion rate in the top tenth / overall rate
    rule_top_decile_lift DOUBLE,
    calibration_error DOUBLE,         -- |predicted - observed| over ten probability bins, weighted
    intercept DOUBLE,
    lift JSON,                        -- per decile: examples, positives, rate, lift (model, rules)
    calibration JSON,                 -- per bin: examples, mean predicted, observed rate
    settings JSON NOT NULL            -- features, windows, horizon, split, gates
);

-- The features of each lead-score model and their weights (key: model_version, feature).
CREATE TABLE IF NOT EXISTS scores.lead_score_model_weights (
    model_version VARCHAR NOT NULL,
    position INTEGER NOT NULL,        -- the feature's column in the model
    feature VARCHAR NOT NULL,
    driver VARCHAR NOT NULL,          -- the event type or fit/committee part it measures
    coefficient DOUBLE NOT NULL,      -- log-odds per standard deviation of the feature
    feature_mean DOUBLE NOT NULL,     -- in training
    feature_scale DOUBLE NOT NULL     -- standard deviation in training
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
    days_since_last_event BIGINT,
    intent_score DOUBLE               -- the provider's highest score in the 28 days to the week's end
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
    trend VARCHAR NOT NULL,           -- 'rising', 'new', 'steady' or 'falling'
    intent_score DOUBLE,              -- the provider's highest score for the topic this month
    previous_intent_score DOUBLE      -- and the month before
);

-- Warehouses made before third-party intent get its columns (a no-op after).
ALTER TABLE scores.account_health ADD COLUMN IF NOT EXISTS intent_score DOUBLE;
ALTER TABLE reports.monthly_intent ADD COLUMN IF NOT EXISTS intent_score DOUBLE;
ALTER TABLE reports.monthly_intent ADD COLUMN IF NOT EXISTS previous_intent_score DOUBLE;

-- Warehouses made before the lead-score model get its columns (a no-op after).
ALTER TABLE scores.lead_scores ADD COLUMN IF NOT EXISTS rule_score DOUBLE;
ALTER TABLE scores.lead_scores ADD COLUMN IF NOT EXISTS conversion_probability DOUBLE;
ALTER TABLE scores.lead_scores ADD COLUMN IF NOT EXISTS score_model_version VARCHAR;
ALTER TABLE scores.lead_scores ADD COLUMN IF NOT EXISTS score_reasons JSON;
