-- Research activity per account and topic in one month against the month before, from page
-- views in clean.signals. The topic is the first segment of the viewed path ('home' for '/'),
-- two segments under /blog/, /docs/, /guides/ and /resources/ ('blog/batch-etl'). A topic is
-- 'rising' with at least $min_views views and $rise_factor times the previous month's, 'new'
-- with at least $min_views and none before, 'falling' under the previous month's divided by
-- $rise_factor, else 'steady'. Parameters: $month_start (DATE), $previous_start, $start, $end
-- (UTC timestamps), $min_views, $rise_factor.
WITH views AS (
    SELECT
        account_domain,
        email,
        occurred_at >= $start::TIMESTAMP AS this_month,
        trim(
            regexp_replace(
                regexp_replace(
                    lower(coalesce(
                        json_extract_string(properties, '$.path'),
                        json_extract_string(properties, '$.url'),
                        ''
                    )),
                    '^[a-z][a-z0-9+.-]*://[^/]*', ''
                ),
                '[?#].*$', ''
            ),
            '/'
        ) AS path
    FROM clean.signals
    WHERE event_type IN ('page_view', 'pricing_page_view')
        AND account_domain IS NOT NULL
        AND occurred_at >= $previous_start::TIMESTAMP
        AND occurred_at < $end::TIMESTAMP
),
topics AS (
    SELECT
        *,
        CASE
            WHEN path = '' THEN 'home'
            WHEN split_part(path, '/', 1) IN ('blog', 'docs', 'guides', 'resources')
                AND split_part(path, '/', 2) <> ''
                THEN split_part(path, '/', 1) || '/' || split_part(path, '/', 2)
            ELSE split_part(path, '/', 1)
        END AS topic
    FROM views
),
counted AS (
    SELECT
        account_domain,
        topic,
        count(*) FILTER (WHERE this_month) AS page_views,
        count(DISTINCT email) FILTER (WHERE this_month) AS contacts,
        count(*) FILTER (WHERE NOT this_month) AS previous_page_views
    FROM topics
    GROUP BY account_domain, topic
)
SELECT
    $month_start::DATE AS month_start,
    account_domain,
    topic,
    page_views,
    contacts,
    previous_page_views,
    CASE WHEN previous_page_views > 0 THEN round(page_views / previous_page_views, 3) END
        AS change_ratio,
    CASE
        WHEN page_views >= $min_views AND previous_page_views = 0 THEN 'new'
        WHEN page_views >= $min_views AND page_views >= $rise_factor * previous_page_views
            THEN 'rising'
        WHEN page_views * $rise_factor < previous_page_views THEN 'falling'
        ELSE 'steady'
    END AS trend
FROM counted
ORDER BY account_domain, topic
