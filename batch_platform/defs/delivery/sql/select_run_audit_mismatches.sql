-- Destinations of one run whose sync_runs counts disagree with the changelog (every attempt of
-- every record): records attempted, delivered, rejected. Parameters: $run_id.
WITH final AS (
    SELECT destination, idempotency_key, arg_max(status, attempt) AS status
    FROM delivery.sync_changelog
    WHERE run_id = $run_id
    GROUP BY destination, idempotency_key
),
logged AS (
    SELECT
        destination,
        count(*) AS attempted,
        count(*) FILTER (WHERE status = 'delivered') AS succeeded,
        count(*) FILTER (WHERE status = 'rejected') AS rejected,
        count(*) FILTER (WHERE status = 'failed') AS failed
    FROM final
    GROUP BY destination
)
SELECT r.destination
FROM delivery.sync_runs AS r
LEFT JOIN logged AS l USING (destination)
WHERE r.run_id = $run_id
    AND (
        r.attempted <> coalesce(l.attempted, 0)
        OR r.succeeded <> coalesce(l.succeeded, 0)
        OR r.rejected <> coalesce(l.rejected, 0)
        OR r.failed <> coalesce(l.failed, 0)
    )
