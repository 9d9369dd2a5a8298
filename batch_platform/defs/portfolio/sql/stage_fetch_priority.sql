-- The month's firm registrations in fetch order: 1 = nearest renewal (fetched first). Both the
-- list of pending fetches and the office snapshot rows take their priority_rank from here.
CREATE OR REPLACE TEMP TABLE portfolio_fetch_priority AS
SELECT
    registration_id,
    jurisdiction,
    row_number() OVER (ORDER BY next_renewal_date NULLS LAST, registration_id) AS priority_rank
FROM portfolio.firm_records
WHERE month = $month
