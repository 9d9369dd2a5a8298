-- Needs the registered table page_delivered. Parameters: $destination, $run_id, $now.
INSERT INTO delivery.delivered_scores BY NAME
SELECT
    destination, email, account_domain, score, tier, is_mql, as_of_date, score_version,
    idempotency_key, $now::TIMESTAMP AS delivered_at, $run_id AS run_id
FROM delivery.pending
WHERE destination = $destination
    AND idempotency_key IN (SELECT idempotency_key FROM page_delivered)
