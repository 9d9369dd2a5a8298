-- The contacts the rules scored on one day (temp table rule_lead_scores), as the examples the
-- lead-score model scores: example_id numbers them from 1 in email order.
-- Parameters: $as_of_date, $as_of_end (UTC).
SELECT
    row_number() OVER (ORDER BY email) AS example_id,
    $as_of_date::DATE AS scoring_date,
    $as_of_end::TIMESTAMP AS scoring_end,
    false AS is_holdout,
    email,
    account_domain
FROM rule_lead_scores
