-- Lead scores as of the end of one day: the rules' score of every contact (temp table
-- rule_lead_scores), replaced by the approved model's conversion probability in percent where
-- the model scored the contact (temp table model_lead_scores, empty when the rules run).
-- Tier and MQL flag follow the score; previous_score is the day before's.
-- Parameters: $as_of_date, $previous_date, $mql_threshold, $model_version (NULL: the rules).
WITH chosen AS (
    SELECT
        r.*,
        m.conversion_probability,
        coalesce(round(100 * m.conversion_probability, 2), r.rule_score) AS score,
        CASE WHEN m.email IS NULL THEN 'rules' ELSE $model_version END AS score_model_version,
        coalesce(m.score_reasons::JSON, r.rule_reasons::JSON) AS score_reasons
    FROM rule_lead_scores AS r
    LEFT JOIN model_lead_scores AS m USING (email)
)
SELECT
    $as_of_date::DATE AS as_of_date,
    c.email,
    c.account_domain,
    c.behaviour_score,
    c.fit_score,
    c.rule_score,
    c.conversion_probability,
    c.score,
    p.score AS previous_score,
    round(c.score - p.score, 2) AS score_change,
    CASE
        WHEN c.score >= 75 THEN 'A'
        WHEN c.score >= $mql_threshold THEN 'B'
        WHEN c.score >= 25 THEN 'C'
        ELSE 'D'
    END AS tier,
    c.score >= $mql_threshold AS is_mql,
    c.events_in_lookback,
    c.last_event_at,
    c.score_model_version,
    c.score_reasons
FROM chosen AS c
LEFT JOIN scores.lead_scores AS p
    ON p.as_of_date = $previous_date::DATE AND p.email = c.email
ORDER BY c.email
