-- Delivery of lead scores to downstream systems and its audit trail.
CREATE SCHEMA IF NOT EXISTS delivery;

-- The score each destination last accepted, per contact (key: destination, email).
CREATE TABLE IF NOT EXISTS delivery.delivered_scores (
    destination VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    score DOUBLE NOT NULL,
    tier VARCHAR NOT NULL,
    is_mql BOOLEAN NOT NULL,
    as_of_date DATE NOT NULL,
    score_version VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    delivered_at TIMESTAMP NOT NULL,  -- UTC
    run_id VARCHAR NOT NULL
);

-- Changed scores waiting to be delivered, at most one per contact (key: destination, email).
CREATE TABLE IF NOT EXISTS delivery.pending (
    destination VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    score DOUBLE NOT NULL,
    delivered_score DOUBLE,           -- the value the destination holds now, if any
    tier VARCHAR NOT NULL,
    is_mql BOOLEAN NOT NULL,
    as_of_date DATE NOT NULL,
    score_version VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL, -- hash of (destination, email, score_version)
    reason VARCHAR NOT NULL,          -- 'new_contact', 'new_mql' or 'score_change'
    contact_created_at TIMESTAMP,     -- the contact's first event
    queued_at TIMESTAMP NOT NULL,
    queued_run_id VARCHAR NOT NULL,
    runs_attempted INTEGER NOT NULL,  -- runs in which it was sent and failed
    last_error VARCHAR,
    last_http_status INTEGER,
    last_attempted_at TIMESTAMP
);

-- Records that failed for good: rejected (4xx) or failing for too many runs. A replayed record
-- that fails again gets a new row (key: destination, idempotency_key, dead_run_id).
CREATE TABLE IF NOT EXISTS delivery.dead_letters (
    destination VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    account_domain VARCHAR,
    score DOUBLE NOT NULL,
    delivered_score DOUBLE,
    tier VARCHAR NOT NULL,
    is_mql BOOLEAN NOT NULL,
    as_of_date DATE NOT NULL,
    score_version VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    contact_created_at TIMESTAMP,
    queued_at TIMESTAMP NOT NULL,
    queued_run_id VARCHAR NOT NULL,
    runs_attempted INTEGER NOT NULL,
    last_error VARCHAR,
    last_http_status INTEGER,
    last_attempted_at TIMESTAMP,
    failure VARCHAR NOT NULL,         -- 'rejected' or 'exhausted'
    dead_at TIMESTAMP NOT NULL,
    dead_run_id VARCHAR NOT NULL,
    replayed_at TIMESTAMP,            -- set when `batch-platform deliveries retry` requeued it
    replay_run_id VARCHAR
);

-- One row per run per destination (key: run_id, destination).
CREATE TABLE IF NOT EXISTS delivery.sync_runs (
    run_id VARCHAR NOT NULL,
    destination VARCHAR NOT NULL,
    as_of_date DATE,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    duration_seconds DOUBLE NOT NULL,
    queued BIGINT NOT NULL,           -- changes detected this run
    superseded BIGINT NOT NULL,       -- pending records replaced by a newer score
    attempted BIGINT NOT NULL,        -- records sent at least once this run
    succeeded BIGINT NOT NULL,
    failed BIGINT NOT NULL,           -- transient failures left pending (or dead after N runs)
    rejected BIGINT NOT NULL,         -- permanent (4xx) failures, dead-lettered
    retried BIGINT NOT NULL,          -- records that needed more than one call this run
    carried_over BIGINT NOT NULL,     -- records attempted that were pending from earlier runs
    dead_lettered BIGINT NOT NULL,
    pending_after BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    status VARCHAR NOT NULL,          -- 'ok', 'partial', 'failed' or 'idle'
    report_path VARCHAR
);

-- One row per record per attempt (key: run_id, destination, idempotency_key, attempt).
CREATE TABLE IF NOT EXISTS delivery.sync_changelog (
    run_id VARCHAR NOT NULL,
    destination VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    score_version VARCHAR NOT NULL,
    attempt INTEGER NOT NULL,         -- 1, 2, … within the run
    request_seq INTEGER NOT NULL,     -- the request that carried it
    status VARCHAR NOT NULL,          -- 'delivered', 'retry', 'failed', 'split' or 'rejected'
    http_status INTEGER,
    error VARCHAR,
    attempted_at TIMESTAMP NOT NULL,
    seconds DOUBLE NOT NULL
);

-- What the outbox destination received (key: destination, idempotency_key).
CREATE TABLE IF NOT EXISTS delivery.outbox (
    destination VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    as_of_date DATE NOT NULL,
    score DOUBLE NOT NULL,
    record JSON NOT NULL,
    received_at TIMESTAMP NOT NULL,
    file VARCHAR NOT NULL
);
