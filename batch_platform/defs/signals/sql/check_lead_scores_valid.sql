-- Scores of the days $first..$last out of range or with a wrong tier or MQL flag ($threshold).
SELECT count(*)
FROM scores.lead_scores
WHERE as_of_date BETWEEN $first AND $last
    AND (score < 0 OR tier NOT IN ('A', 'B', 'C', 'D') OR is_mql <> (score >= $threshold))
