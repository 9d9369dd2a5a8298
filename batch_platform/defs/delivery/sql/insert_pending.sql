-- Queue the new changes that are not pending already. Needs the temp table delivery_changes.
-- Parameters: $destination, $run_id, $now.
INSERT INTO delivery.pending BY NAME
SELECT
    $destination AS destination,
    c.email, c.account_domain, c.score, c.delivered_score, c.tier, c.is_mql, c.as_of_date,
    c.score_version, c.idempotency_key, c.reason, c.contact_created_at,
    $now::TIMESTAMP AS queued_at,
    $run_id AS queued_run_id,
    0 AS runs_attempted
FROM delivery_changes AS c
WHERE c.idempotency_key NOT IN (
    SELECT idempotency_key FROM delivery.pending WHERE destination = $destination
)
