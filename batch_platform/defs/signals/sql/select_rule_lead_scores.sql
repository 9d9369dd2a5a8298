-- The rules' lead scores as of the end of one day. Behaviour points decay exponentially with the
-- event's age (half-life $half_life_days) over a $lookback_days lookback; fit points come from
-- firmographics. rule_reasons: the three parts that raised the score most (event types by their
-- decayed points, and fit), as JSON [{"contribution", "feature"}].
-- Parameters: $as_of_end (UTC), $lookback_days, $half_life_days. Needs the temp tables
-- score_weights(event_type, points), fit_industries(industry) and fit_countries(country).
WITH events AS (
    SELECT
        s.email, s.account_domain, s.occurred_at, s.event_type, coalesce(w.points, 0) AS points,
        date_diff('second', s.occurred_at, $as_of_end::TIMESTAMP) / 86400.0 AS age_days
    FROM clean.signals AS s
    LEFT JOIN score_weights AS w USING (event_type)
    WHERE s.occurred_at >= $as_of_end::TIMESTAMP - to_days($lookback_days::INTEGER)
        AND s.occurred_at < $as_of_end::TIMESTAMP
),
points_by_type AS (
    SELECT email, event_type, sum(points * pow(0.5, age_days / $half_life_days)) AS points
    FROM events
    GROUP BY email, event_type
),
reasons AS (
    SELECT
        email,
        list({'contribution': round(points, 2), 'feature': event_type}) FILTER (
            WHERE points > 0
        ) AS event_reasons
    FROM points_by_type
    GROUP BY email
),
behaviour AS (
    SELECT
        email,
        arg_max(account_domain, occurred_at) AS account_domain,
        sum(points * pow(0.5, age_days / $half_life_days)) AS behaviour_score,
        count(*) AS events_in_lookback,
        max(occurred_at) AS last_event_at
    FROM events
    GROUP BY email
),
fit AS (
    SELECT
        b.*,
        CASE
            WHEN f.employee_count >= 1000 THEN 20
            WHEN f.employee_count >= 200 THEN 15
            WHEN f.employee_count >= 50 THEN 10
            WHEN f.employee_count >= 1 THEN 5
            ELSE 0
        END
        + CASE WHEN lower(f.industry) IN (SELECT industry FROM fit_industries) THEN 10 ELSE 0 END
        + CASE WHEN f.country IN (SELECT country FROM fit_countries) THEN 10 ELSE 0 END
        AS fit_score
    FROM behaviour AS b
    LEFT JOIN clean.firmographics AS f ON f.domain = b.account_domain
)
SELECT
    f.email,
    f.account_domain,
    round(f.behaviour_score, 2) AS behaviour_score,
    f.fit_score::DOUBLE AS fit_score,
    round(greatest(0, f.behaviour_score + f.fit_score), 2) AS rule_score,
    f.events_in_lookback,
    f.last_event_at,
    to_json(
        list_sort(
            list_concat(
                coalesce(r.event_reasons, []),
                CASE
                    WHEN f.fit_score > 0
                        THEN [{'contribution': f.fit_score::DOUBLE, 'feature': 'fit'}]
                    ELSE []
                END
            ),
            'DESC'
        )[1:3]
    ) AS rule_reasons
FROM fit AS f
LEFT JOIN reasons AS r USING (email)
