-- Outcomes of the lead-score model's examples: converted when a deal was won in the
-- $horizon_days after the example's scoring_end by the contact (with $account_outcomes, also by
-- another contact of its account); the amount won (properties.amount, when given) and whether a
-- deal was lost in the same window. One row per example, in example_id order. Needs the temp
-- table model_examples(example_id, scoring_end, email, account_domain).
-- Parameters: $horizon_days, $account_outcomes, $won_type, $lost_type.
WITH deals AS (
    SELECT
        event_key,
        email,
        account_domain,
        event_type,
        occurred_at,
        TRY_CAST(json_extract_string(properties, '$.amount') AS DOUBLE) AS amount
    FROM clean.signals
    WHERE event_type IN ($won_type, $lost_type)
),
matched AS (
    SELECT e.example_id, d.event_key, d.event_type, d.amount
    FROM model_examples AS e
    JOIN deals AS d
        ON d.email = e.email
        AND d.occurred_at >= e.scoring_end
        AND d.occurred_at < e.scoring_end + to_days($horizon_days::INTEGER)
    UNION
    SELECT e.example_id, d.event_key, d.event_type, d.amount
    FROM model_examples AS e
    JOIN deals AS d
        ON $account_outcomes
        AND d.account_domain = e.account_domain
        AND d.occurred_at >= e.scoring_end
        AND d.occurred_at < e.scoring_end + to_days($horizon_days::INTEGER)
)
SELECT
    e.example_id,
    coalesce(bool_or(m.event_type = $won_type), false) AS converted,
    coalesce(sum(m.amount) FILTER (WHERE m.event_type = $won_type), 0)::DOUBLE AS won_amount,
    coalesce(bool_or(m.event_type = $lost_type), false) AS lost
FROM model_examples AS e
LEFT JOIN matched AS m USING (example_id)
GROUP BY e.example_id
ORDER BY e.example_id
