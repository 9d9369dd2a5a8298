-- The alerts domain's table: every evaluation of the data conditions. Applied by the asset that
-- writes it before each write; each statement is idempotent.
CREATE SCHEMA IF NOT EXISTS alerts;

-- One row per evaluation, condition and subject: a breach, or the condition's 'all' row when
-- nothing breached it (key: evaluated_at, condition, subject).
CREATE TABLE IF NOT EXISTS alerts.data_conditions (
    evaluated_at TIMESTAMP NOT NULL,  -- UTC
    condition VARCHAR NOT NULL,       -- 'quarantine_share', 'signals_stale' or 'delivery_success'
    subject VARCHAR NOT NULL,         -- 'file <partition>', 'day <date>', a destination, or 'all'
    breached BOOLEAN NOT NULL,
    title VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);
