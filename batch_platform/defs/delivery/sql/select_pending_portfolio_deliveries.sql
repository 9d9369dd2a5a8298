-- The portfolio records waiting for a destination, every month's, by client (one client a
-- page), then month, kind and registration. Parameters: $destination.
SELECT
    idempotency_key, client, kind, registration_id, version, record::VARCHAR AS record,
    strftime(month, '%Y-%m') AS month, runs_attempted
FROM delivery.portfolio_deliveries
WHERE destination = $destination AND status = 'pending'
ORDER BY client, month, kind, registration_id
