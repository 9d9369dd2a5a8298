-- The month's renewals due, to become portfolio records. Parameters: $month.
SELECT * EXCLUDE (month) FROM portfolio.renewals_due WHERE month = $month
