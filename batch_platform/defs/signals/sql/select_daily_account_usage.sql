-- Product events per account between $window_start and $window_end (UTC).
SELECT
    $usage_date::DATE AS usage_date,
    account_domain,
    count(*) AS product_events,
    count(DISTINCT email) AS active_users,
    count(*) FILTER (WHERE event_type = 'login') AS logins,
    count(*) FILTER (WHERE event_type = 'feature_used') AS features_used
FROM clean.signals
WHERE source = 'product'
    AND account_domain IS NOT NULL
    AND occurred_at >= $window_start AND occurred_at < $window_end
GROUP BY account_domain
ORDER BY account_domain
