-- The ten contacts whose score changed most on $report_date.
SELECT email, previous_score, score, score_change, tier
FROM scores.lead_scores
WHERE as_of_date = $report_date AND score_change IS NOT NULL
ORDER BY abs(score_change) DESC, email
LIMIT 10
