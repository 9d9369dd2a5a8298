-- Weekly account health: four components of 0–25 points each, summed to 0–100. Engagement adds
-- up to 10 points for third-party intent: the provider's highest score (0-100) for the account
-- in the 28 days before the week's end, over all topics.
-- Parameters: $week_start (DATE), $window_start and $window_end (the week in UTC).
WITH recent AS (
    SELECT account_domain, source, event_type, email, occurred_at
    FROM clean.signals
    WHERE account_domain IS NOT NULL
        AND occurred_at >= $window_end::TIMESTAMP - INTERVAL 90 DAY
        AND occurred_at < $window_end::TIMESTAMP
),
per_account AS (
    SELECT
        account_domain,
        count(*) FILTER (
            WHERE source = 'product' AND occurred_at >= $window_start::TIMESTAMP
        ) AS product_this_week,
        count(*) FILTER (
            WHERE source = 'product' AND occurred_at < $window_start::TIMESTAMP
                AND occurred_at >= $window_start::TIMESTAMP - INTERVAL 28 DAY
        ) / 4.0 AS product_prior_weekly,
        count(*) FILTER (
            WHERE source IN ('website', 'email')
                AND event_type NOT IN ('email_bounce', 'unsubscribe')
                AND occurred_at >= $window_start::TIMESTAMP
        ) AS engagement_events,
        count(*) FILTER (
            WHERE event_type IN ('meeting_booked', 'opportunity_created')
                AND occurred_at >= $window_end::TIMESTAMP - INTERVAL 28 DAY
        ) AS positive_crm,
        count(*) FILTER (
            WHERE event_type = 'support_ticket'
                AND occurred_at >= $window_end::TIMESTAMP - INTERVAL 28 DAY
        ) AS support_tickets,
        date_diff('day', max(occurred_at), $window_end::TIMESTAMP) AS days_since_last_event
    FROM recent
    GROUP BY account_domain
),
intent AS (
    SELECT account_domain, max(score) AS intent_score
    FROM clean.intent_signals
    WHERE signal_date >= CAST($window_end::TIMESTAMP - INTERVAL 28 DAY AS DATE)
        AND signal_date < CAST($window_end::TIMESTAMP AS DATE)
    GROUP BY account_domain
),
components AS (
    SELECT
        account_domain,
        CASE
            WHEN product_prior_weekly = 0 AND product_this_week = 0 THEN 0
            WHEN product_prior_weekly = 0 THEN 25
            ELSE 25 * least(product_this_week / product_prior_weekly, 2) / 2
        END AS usage_trend_score,
        least(
            25,
            25 * least(1, ln(1 + engagement_events) / ln(51))
            + 10 * coalesce(i.intent_score, 0) / 100
        ) AS engagement_score,
        greatest(0, least(25, 10 + 5 * positive_crm - 3 * support_tickets)) AS crm_activity_score,
        CASE
            WHEN days_since_last_event <= 7 THEN 25
            WHEN days_since_last_event <= 14 THEN 15
            WHEN days_since_last_event <= 30 THEN 5
            ELSE 0
        END AS recency_score,
        days_since_last_event,
        i.intent_score
    FROM per_account
    LEFT JOIN intent AS i USING (account_domain)
)
SELECT
    $week_start::DATE AS week_start,
    c.account_domain,
    round(c.usage_trend_score, 2) AS usage_trend_score,
    round(c.engagement_score, 2) AS engagement_score,
    round(c.crm_activity_score, 2) AS crm_activity_score,
    round(c.recency_score, 2) AS recency_score,
    round(c.usage_trend_score + c.engagement_score + c.crm_activity_score + c.recency_score, 2)
        AS health_score,
    CASE
        WHEN c.usage_trend_score + c.engagement_score + c.crm_activity_score + c.recency_score < 40
            THEN 'at_risk'
        WHEN c.usage_trend_score + c.engagement_score + c.crm_activity_score + c.recency_score < 70
            THEN 'neutral'
        ELSE 'healthy'
    END AS band,
    p.health_score AS previous_health_score,
    c.days_since_last_event,
    c.intent_score
FROM components AS c
LEFT JOIN scores.account_health AS p
    ON p.week_start = $week_start::DATE - INTERVAL 7 DAY AND p.account_domain = c.account_domain
ORDER BY c.account_domain
