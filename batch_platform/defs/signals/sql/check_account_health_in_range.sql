-- Accounts of the weeks $first..$last with a component outside 0–25 or a total outside 0–100.
SELECT count(*)
FROM scores.account_health
WHERE week_start BETWEEN $first AND $last
    AND NOT (
        usage_trend_score BETWEEN 0 AND 25
        AND engagement_score BETWEEN 0 AND 25
        AND crm_activity_score BETWEEN 0 AND 25
        AND recency_score BETWEEN 0 AND 25
        AND health_score BETWEEN 0 AND 100
    )
