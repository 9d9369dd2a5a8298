-- The lead-score model that scores $day: the latest approved one trained on history up to that
-- day at the latest (a day is never scored by a model that saw its future).
SELECT
    model_version, trained_at, trained_as_of, algorithm, intercept, decision,
    settings::VARCHAR AS settings
FROM scores.lead_score_models
WHERE approved AND trained_as_of <= $day::DATE
ORDER BY trained_as_of DESC, trained_at DESC
LIMIT 1
