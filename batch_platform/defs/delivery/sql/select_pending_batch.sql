-- The next records to send to a destination: priority tier first (A, B, C, D), then the
-- contact's created date (oldest first). Parameters: $destination, $limit, $only_keys (a
-- list of keys to restrict to, or NULL).
SELECT
    idempotency_key, email, account_domain, score, delivered_score, tier, is_mql,
    strftime(as_of_date, '%Y-%m-%d') AS as_of_date, score_version, reason, runs_attempted
FROM delivery.pending
WHERE destination = $destination
    AND ($only_keys::VARCHAR[] IS NULL OR list_contains($only_keys::VARCHAR[], idempotency_key))
ORDER BY tier, contact_created_at NULLS LAST, email
LIMIT $limit
