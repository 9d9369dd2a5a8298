-- Contacts and mean score per tier as of $report_date.
SELECT tier, count(*), round(avg(score), 1)
FROM scores.lead_scores
WHERE as_of_date = $report_date
GROUP BY tier
ORDER BY tier
