-- Training examples of the lead-score model: per scoring date, the contacts with an event (not an
-- outcome) in the $interval_days before the date's end, except contacts that had already won a
-- deal by then (with $account_outcomes, contacts whose account had). example_id numbers them from
-- 1 in (scoring_date, email) order. Needs the temp table scoring_dates(scoring_date, scoring_end,
-- is_holdout). Parameters: $interval_days, $account_outcomes, $won_type, $outcome_types.
WITH active AS (
    SELECT
        d.scoring_date,
        d.scoring_end,
        d.is_holdout,
        s.email,
        arg_max(s.account_domain, s.occurred_at) AS account_domain
    FROM scoring_dates AS d
    JOIN clean.signals AS s
        ON s.occurred_at >= d.scoring_end - to_days($interval_days::INTEGER)
        AND s.occurred_at < d.scoring_end
    WHERE NOT list_contains($outcome_types::VARCHAR[], s.event_type)
    GROUP BY d.scoring_date, d.scoring_end, d.is_holdout, s.email
),
won_by_contact AS (
    SELECT email, min(occurred_at) AS first_won_at
    FROM clean.signals
    WHERE event_type = $won_type
    GROUP BY email
),
won_by_account AS (
    SELECT account_domain, min(occurred_at) AS first_won_at
    FROM clean.signals
    WHERE event_type = $won_type AND account_domain IS NOT NULL
    GROUP BY account_domain
)
SELECT
    row_number() OVER (ORDER BY a.scoring_date, a.email) AS example_id,
    a.scoring_date,
    a.scoring_end,
    a.is_holdout,
    a.email,
    a.account_domain
FROM active AS a
LEFT JOIN won_by_contact AS c ON c.email = a.email
LEFT JOIN won_by_account AS w ON w.account_domain = a.account_domain
WHERE coalesce(c.first_won_at >= a.scoring_end, true)
    AND (NOT $account_outcomes OR coalesce(w.first_won_at >= a.scoring_end, true))
