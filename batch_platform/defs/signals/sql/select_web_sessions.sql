-- Page views between $window_start and $window_end (UTC) rolled up into sessions that end after
-- 30 minutes without a page view. Parameters: $window_start, $window_end, $session_date.
WITH views AS (
    SELECT
        email, account_domain, occurred_at, event_type,
        CASE
            WHEN occurred_at - lag(occurred_at) OVER (PARTITION BY email ORDER BY occurred_at, event_key)
                <= INTERVAL 30 MINUTE THEN 0
            ELSE 1
        END AS starts_session,
        event_key
    FROM clean.signals
    WHERE source = 'website'
        AND event_type IN ('page_view', 'pricing_page_view')
        AND occurred_at >= $window_start AND occurred_at < $window_end
),
numbered AS (
    SELECT *, sum(starts_session) OVER (
        PARTITION BY email ORDER BY occurred_at, event_key ROWS UNBOUNDED PRECEDING
    ) AS session_number
    FROM views
)
SELECT
    $session_date::DATE AS session_date,
    md5(email || '|' || strftime(min(occurred_at), '%Y-%m-%dT%H:%M:%S.%f')) AS session_id,
    email,
    arg_min(account_domain, occurred_at) AS account_domain,
    min(occurred_at) AS started_at,
    max(occurred_at) AS ended_at,
    count(*) AS page_views,
    count(*) FILTER (WHERE event_type = 'pricing_page_view') AS pricing_page_views
FROM numbered
GROUP BY email, session_number
ORDER BY email, started_at
