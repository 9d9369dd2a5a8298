-- Records sent and delivered per destination by the sync runs started since $since (UTC).
SELECT destination, sum(attempted) AS attempted, sum(succeeded) AS succeeded
FROM delivery.sync_runs
WHERE started_at >= $since::TIMESTAMP
GROUP BY destination
ORDER BY destination
