-- Fit and buying-committee context of the lead-score model's examples: the account's
-- firmographics (employees, known company, target industry and country) and its engaged contacts
-- (distinct contacts of the account with an event, not an outcome, in the $long_window_days
-- before scoring_end). One row per example, in example_id order. Needs the temp tables
-- model_examples(example_id, scoring_end, email, account_domain), fit_industries(industry) and
-- fit_countries(country). Parameters: $long_window_days, $outcome_types.
WITH committee AS (
    SELECT e.example_id, count(DISTINCT s.email) AS engaged_contacts
    FROM model_examples AS e
    JOIN clean.signals AS s
        ON s.account_domain = e.account_domain
        AND s.occurred_at >= e.scoring_end - to_days($long_window_days::INTEGER)
        AND s.occurred_at < e.scoring_end
    WHERE NOT list_contains($outcome_types::VARCHAR[], s.event_type)
    GROUP BY e.example_id
)
SELECT
    e.example_id,
    coalesce(greatest(f.employee_count, 0), 0) AS employee_count,
    f.domain IS NOT NULL AS known_company,
    coalesce(lower(f.industry) IN (SELECT industry FROM fit_industries), false) AS target_industry,
    coalesce(f.country IN (SELECT country FROM fit_countries), false) AS target_country,
    e.account_domain IS NOT NULL AS business_email,
    coalesce(c.engaged_contacts, 0) AS engaged_contacts
FROM model_examples AS e
LEFT JOIN clean.firmographics AS f ON f.domain = e.account_domain
LEFT JOIN committee AS c USING (example_id)
ORDER BY e.example_id
