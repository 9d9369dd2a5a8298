-- One row per firm registration in portfolio_fetch_targets: the office record picked for it
-- (newest as_of, then newest fetch/file), or a failure saying why there is none. Registrations
-- and their priority_rank come from portfolio_fetch_priority (stage_fetch_priority.sql).
-- $by_as_of: snapshot files are matched to the month by as_of; API results are taken as fetched.
WITH office AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY registration_id
            ORDER BY as_of IS NOT NULL DESC, as_of DESC, fetched_at DESC, source DESC,
                source_line DESC
        ) AS pick
    FROM portfolio_office_stage
    WHERE NOT $by_as_of OR as_of IS NULL OR (as_of >= $month AND as_of < $next_month)
)

SELECT
    $month::DATE AS month,
    f.registration_id,
    f.jurisdiction,
    CASE WHEN o.registration_id IS NULL OR o.error IS NOT NULL THEN 'failed' ELSE 'succeeded' END
        AS fetch_state,
    coalesce(o.attempts, 1) AS attempts,
    CASE WHEN o.registration_id IS NULL THEN $missing_error ELSE o.error END AS error,
    coalesce(o.retryable, true) AS retryable,
    coalesce(o.source, $missing_source) AS source,
    o.source_line,
    coalesce(o.fetched_at, $now) AS fetched_at,
    f.priority_rank,
    o.mark,
    o.owner,
    o.office_status,
    o.status,
    o.filing_date,
    o.registration_date,
    o.next_renewal_date,
    o.classes,
    o.as_of
FROM portfolio_fetch_priority AS f
LEFT JOIN office AS o ON o.registration_id = f.registration_id AND o.pick = 1
WHERE f.registration_id IN (SELECT t.registration_id FROM portfolio_fetch_targets AS t)
