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
    report_path VARCHAR,
    budget_spent BOOLEAN              -- the run sent its max_pages_per_run with records left
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

-- Notifications (run-status, batch and alert webhooks) a receiver did not take after the first
-- send's retries: kept here and sent again, with backoff, until it does (key: notification_id,
-- url). Nothing is dropped; a delivered row stays as the record of what happened.
CREATE TABLE IF NOT EXISTS delivery.notification_outbox (
    notification_id VARCHAR NOT NULL,  -- the webhook-id: the same on every attempt
    url VARCHAR NOT NULL,              -- the receiver
    kind VARCHAR NOT NULL,             -- 'run_status', 'url_batch' or 'alert'
    subject VARCHAR NOT NULL,          -- what it tells about: a run's end, a batch, an incident
    body VARCHAR NOT NULL,             -- the JSON sent, byte for byte the same on every attempt
    signing_secret_env VARCHAR,        -- the variable holding the receiver's secret (NULL: shared)
    timeout_seconds DOUBLE NOT NULL,
    guarded BOOLEAN NOT NULL,          -- a user's URL: called at public addresses only
    status VARCHAR NOT NULL,           -- 'waiting' or 'delivered'
    attempts INTEGER NOT NULL,         -- calls made, the first send's included
    retry_rounds INTEGER NOT NULL,     -- rounds of the outbox sensor that tried it
    created_at TIMESTAMP NOT NULL,     -- UTC: when the first send gave up
    last_attempted_at TIMESTAMP NOT NULL,
    last_http_status INTEGER,
    last_error VARCHAR,
    next_attempt_at TIMESTAMP,         -- NULL once delivered
    delivered_at TIMESTAMP
);

-- Every call made for a notification of the outbox, from its first send on (key:
-- notification_id, url, attempt).
CREATE TABLE IF NOT EXISTS delivery.notification_attempts (
    notification_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    attempt INTEGER NOT NULL,          -- 1, 2, … over the first send and every retry round
    phase VARCHAR NOT NULL,            -- 'first_send' or 'outbox'
    recorded_at TIMESTAMP NOT NULL,    -- UTC: when the call's outcome was written
    http_status INTEGER,
    error VARCHAR,                     -- NULL: delivered
    seconds DOUBLE NOT NULL
);

-- Warehouses made before the page budget record whether a run spent it (a no-op after).
ALTER TABLE delivery.sync_runs ADD COLUMN IF NOT EXISTS budget_spent BOOLEAN;

-- The portfolio's records of a month: one per status change, renewal due and mismatch of the
-- sweep, as every portfolio destination receives it (key: month, record_id).
CREATE TABLE IF NOT EXISTS delivery.portfolio_records (
    month DATE NOT NULL,
    record_id VARCHAR NOT NULL,        -- <YYYY-MM>/<kind>/<registration_id>/<version>
    client VARCHAR NOT NULL,           -- the firm's client ('(none)' when the records name none)
    kind VARCHAR NOT NULL,             -- 'status_change', 'renewal_due' or 'mismatch'
    registration_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,          -- what changed: a new version is a new record
    record JSON NOT NULL,              -- the body sent, but the idempotency key
    built_at TIMESTAMP NOT NULL,       -- UTC
    run_id VARCHAR NOT NULL
);

-- Each portfolio record for each portfolio destination: waiting, delivered or given up. A
-- delivered row is never sent again (key: destination, idempotency_key).
CREATE TABLE IF NOT EXISTS delivery.portfolio_deliveries (
    destination VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,  -- hash of (destination, month, kind, client, registration, version)
    month DATE NOT NULL,
    record_id VARCHAR NOT NULL,
    client VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    registration_id VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    record JSON NOT NULL,
    status VARCHAR NOT NULL,           -- 'pending', 'delivered', 'rejected', 'exhausted' or 'superseded'
    queued_at TIMESTAMP NOT NULL,
    queued_run_id VARCHAR NOT NULL,
    runs_attempted INTEGER NOT NULL,   -- runs in which it was sent and failed
    last_error VARCHAR,                -- why it is not delivered (yet)
    last_http_status INTEGER,
    last_attempted_at TIMESTAMP,
    settled_at TIMESTAMP,              -- delivered, rejected, exhausted or superseded
    settled_run_id VARCHAR
);
