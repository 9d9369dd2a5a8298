-- The dead letters to put back in the queue with a clean slate, unless the contact has a newer
-- pending record, as temp table requeued_letters (DuckLake takes no INSERT … RETURNING).
-- Needs the registered table replay_keys (destination, idempotency_key).
-- Parameters: $run_id, $now.
CREATE OR REPLACE TEMP TABLE requeued_letters AS
SELECT
    d.destination, d.email, d.account_domain, d.score, d.delivered_score, d.tier, d.is_mql,
    d.as_of_date, d.score_version, d.idempotency_key, d.reason, d.contact_created_at,
    $now::TIMESTAMP AS queued_at,
    $run_id AS queued_run_id,
    0 AS runs_attempted
FROM delivery.dead_letters AS d
JOIN replay_keys AS k USING (destination, idempotency_key)
WHERE d.replayed_at IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM delivery.pending AS p
        WHERE p.destination = d.destination AND p.email = d.email
    )
