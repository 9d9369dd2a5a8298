-- The UTC days of the valid rows of a clean run (typed_signals): what the history window is
-- built around.
SELECT DISTINCT date_trunc('day', n_occurred_at)::TIMESTAMP
FROM typed_signals
WHERE reason IS NULL
