-- The candidates of the month's office rows after an API fetch: the staged results
-- (portfolio_office_fetched) and, for every registration not fetched again, its row as the
-- warehouse holds it. select_office_snapshot.sql then picks one per firm registration.
CREATE OR REPLACE TEMP TABLE portfolio_office_stage AS
SELECT * FROM portfolio_office_fetched
UNION ALL BY NAME
SELECT
    o.registration_id,
    o.jurisdiction,
    o.source,
    o.source_line,
    o.fetched_at,
    o.attempts,
    o.error,
    o.retryable,
    o.mark,
    o.owner,
    o.office_status,
    o.status,
    o.filing_date,
    o.registration_date,
    o.next_renewal_date,
    o.classes,
    o.as_of
FROM portfolio.office_snapshot AS o
WHERE
    o.month = $month
    AND o.registration_id NOT IN (SELECT f.registration_id FROM portfolio_office_fetched AS f)
