-- Quarantined rows that do not say why.
SELECT count(*)
FROM quarantine.portfolio_firm_rows
WHERE month = $month AND coalesce(reason, '') = ''
