-- The next records to send to a destination: priority tier first (A, B, C, D), then the
-- contact's created date (oldest first), with the model version and reasons of the score they
-- carry (from scores.lead_scores). Parameters: $destination, $limit, $only_keys (a list of keys
-- to restrict to, or NULL).
SELECT
    p.idempotency_key, p.email, p.account_domain, p.score, p.delivered_score, p.tier, p.is_mql,
    strftime(p.as_of_date, '%Y-%m-%d') AS as_of_date, p.score_version, p.reason,
    p.runs_attempted, s.score_model_version, s.score_reasons::VARCHAR AS score_reasons
FROM delivery.pending AS p
LEFT JOIN scores.lead_scores AS s
    ON s.as_of_date = p.as_of_date AND s.email = p.email AND s.score = p.score
WHERE p.destination = $destination
    AND ($only_keys::VARCHAR[] IS NULL OR list_contains($only_keys::VARCHAR[], p.idempotency_key))
ORDER BY p.tier, p.contact_created_at NULLS LAST, p.email
LIMIT $limit
