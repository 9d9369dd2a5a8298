-- Lead scores as of the end of one day. Behaviour points decay exponentially with the event's age
-- (half-life $half_life_days) over a $lookback_days lookback; fit points come from firmographics.
-- Parameters: $as_of_date, $as_of_end (UTC), $lookback_days, $half_life_days, $mql_threshold,
-- $previous_date. Needs the temp tables score_weights(event_type, points),
-- fit_industries(industry) and fit_countries(country).
WITH events AS (
    SELECT
        s.email, s.account_domain, s.occurred_at, coalesce(w.points, 0) AS points,
        date_diff('second', s.occurred_at, $as_of_end::TIMESTAMP) / 86400.0 AS age_days
    FROM clean.signals AS s
    LEFT JOIN score_weights AS w USING (event_type)
    WHERE s.occurred_at >= $as_of_end::TIMESTAMP - to_days($lookback_days::INTEGER)
        AND s.occurred_at < $as_of_end::TIMESTAMP
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
),
scored AS (
    SELECT
        *,
        round(greatest(0, behaviour_score + fit_score), 2) AS score
    FROM fit
)
SELECT
    $as_of_date::DATE AS as_of_date,
    s.email,
    s.account_domain,
    round(s.behaviour_score, 2) AS behaviour_score,
    s.fit_score::DOUBLE AS fit_score,
    s.score,
    p.score AS previous_score,
    round(s.score - p.score, 2) AS score_change,
    CASE
        WHEN s.score >= 75 THEN 'A'
        WHEN s.score >= $mql_threshold THEN 'B'
        WHEN s.score >= 25 THEN 'C'
        ELSE 'D'
    END AS tier,
    s.score >= $mql_threshold AS is_mql,
    s.events_in_lookback,
    s.last_event_at
FROM scored AS s
LEFT JOIN scores.lead_scores AS p
    ON p.as_of_date = $previous_date::DATE AND p.email = s.email
ORDER BY s.email
