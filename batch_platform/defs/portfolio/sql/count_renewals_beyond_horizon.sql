-- Renewals due more than $horizon days after the sweep date.
SELECT count(*)
FROM portfolio.renewals_due
WHERE month = $month AND days_until > $horizon
