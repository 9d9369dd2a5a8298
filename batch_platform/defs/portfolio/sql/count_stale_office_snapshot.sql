-- Office rows of the month whose registration is no longer in its firm records (a rewrite of
-- the month drops them).
SELECT count(*)
FROM portfolio.office_snapshot AS o
WHERE
    o.month = $month
    AND o.registration_id NOT IN (SELECT f.registration_id FROM portfolio_fetch_priority AS f)
