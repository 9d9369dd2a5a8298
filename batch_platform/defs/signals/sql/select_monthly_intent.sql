-- Research activity per account and topic in one month against the month before: page views in
-- clean.signals and a provider's third-party intent in clean.intent_signals. A page's topic is
-- the first segment of the viewed path ('home' for '/'), two segments under /blog/, /docs/,
-- /guides/ and /resources/ ('blog/batch-etl'); a provider's topic is its own (lower-cased).
-- By page views a topic is 'rising' with at least $min_views views and $rise_factor times the
-- previous month's, 'new' with at least $min_views and none before, 'falling' under the previous
-- month's divided by $rise_factor, else 'steady'; by intent score (the month's highest) the same
-- with $min_intent_score. The row's trend is the more active of the two (rising, new, steady,
-- falling). Parameters: $month_start, $previous_month_start, $next_month_start (DATEs),
-- $previous_start, $start, $end (UTC timestamps), $min_views, $min_intent_score, $rise_factor.
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
),
provider AS (
    SELECT
        account_domain,
        topic,
        max(score) FILTER (WHERE signal_date >= $month_start::DATE) AS intent_score,
        max(score) FILTER (WHERE signal_date < $month_start::DATE) AS previous_intent_score
    FROM clean.intent_signals
    WHERE signal_date >= $previous_month_start::DATE AND signal_date < $next_month_start::DATE
    GROUP BY account_domain, topic
),
combined AS (
    SELECT
        account_domain,
        topic,
        coalesce(c.page_views, 0) AS page_views,
        coalesce(c.contacts, 0) AS contacts,
        coalesce(c.previous_page_views, 0) AS previous_page_views,
        p.intent_score,
        p.previous_intent_score,
        CASE
            WHEN c.account_domain IS NULL THEN NULL
            WHEN c.page_views >= $min_views AND c.previous_page_views = 0 THEN 'new'
            WHEN c.page_views >= $min_views AND c.page_views >= $rise_factor * c.previous_page_views
                THEN 'rising'
            WHEN c.page_views * $rise_factor < c.previous_page_views THEN 'falling'
            ELSE 'steady'
        END AS views_trend,
        CASE
            WHEN p.account_domain IS NULL THEN NULL
            WHEN p.intent_score >= $min_intent_score AND p.previous_intent_score IS NULL
                THEN 'new'
            WHEN p.intent_score >= $min_intent_score
                AND p.intent_score >= $rise_factor * p.previous_intent_score
                THEN 'rising'
            WHEN coalesce(p.intent_score, 0) * $rise_factor < p.previous_intent_score
                THEN 'falling'
            ELSE 'steady'
        END AS score_trend
    FROM counted AS c
    FULL OUTER JOIN provider AS p USING (account_domain, topic)
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
        WHEN 'rising' IN (views_trend, score_trend) THEN 'rising'
        WHEN 'new' IN (views_trend, score_trend) THEN 'new'
        WHEN 'steady' IN (views_trend, score_trend) THEN 'steady'
        ELSE 'falling'
    END AS trend,
    intent_score,
    previous_intent_score
FROM combined
ORDER BY account_domain, topic
