-- Scores of the days $first..$last out of range or with a wrong tier or MQL flag ($threshold),
-- or scored by a model but not its probability in percent.
SELECT count(*)
FROM scores.lead_scores
WHERE as_of_date BETWEEN $first AND $last
    AND (
        score < 0
        OR tier NOT IN ('A', 'B', 'C', 'D')
        OR is_mql <> (score >= $threshold)
        OR (
            score_model_version <> 'rules'
            AND coalesce(
                conversion_probability NOT BETWEEN 0 AND 1
                OR score <> round(100 * conversion_probability, 2),
                true
            )
        )
    )
