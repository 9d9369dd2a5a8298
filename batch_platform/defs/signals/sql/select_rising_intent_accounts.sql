-- Accounts with rising or new research on at least one topic in month $m.
SELECT count(DISTINCT account_domain)
FROM reports.monthly_intent
WHERE month_start = $m AND trend IN ('rising', 'new')
