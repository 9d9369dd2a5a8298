-- Lead scores of the run's days without an email (the key's second part).
SELECT count(*)
FROM scores.lead_scores
WHERE as_of_date BETWEEN $first AND $last AND email IS NULL
